package dev.tuneforge.eval.metrics;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code 13a} tokenizer of sacreBLEU ({@code sacrebleu/tokenizers/tokenizer_13a.py} with the
 * {@code TokenizerRegexp} post-processing of {@code tokenizer_re.py}), which reproduces the
 * tokenisation of {@code mteval-v13a.pl} used by WMT. The four substitutions run in the same
 * order with the same character classes as upstream.
 */
public final class Tokenizer13a {

    // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) : {|}~ [\]^_` space!"#$%& ()*+ :;<=>?@ /
    private static final Pattern PUNCT = Pattern.compile("([{-~\\[-` -&(-+:-@/])");
    private static final Pattern PERIOD_COMMA_AFTER_NON_DIGIT = Pattern.compile("([^0-9])([.,])");
    private static final Pattern PERIOD_COMMA_BEFORE_NON_DIGIT = Pattern.compile("([.,])([^0-9])");
    private static final Pattern DASH_AFTER_DIGIT = Pattern.compile("([0-9])(-)");

    private Tokenizer13a() {
    }

    /** Tokenizes one segment and returns its tokens. */
    public static List<String> tokens(String line) {
        return PyText.split(tokenize(line));
    }

    /** Tokenizes one segment; tokens are joined by single spaces, as sacreBLEU returns them. */
    public static String tokenize(String line) {
        line = line.replace("<skipped>", "");
        line = line.replace("-\n", "");
        line = line.replace("\n", " ");
        if (line.indexOf('&') >= 0) {
            line = line.replace("&quot;", "\"");
            line = line.replace("&amp;", "&");
            line = line.replace("&lt;", "<");
            line = line.replace("&gt;", ">");
        }
        line = " " + line + " ";
        line = PUNCT.matcher(line).replaceAll(" $1 ");
        line = PERIOD_COMMA_AFTER_NON_DIGIT.matcher(line).replaceAll("$1 $2 ");
        line = PERIOD_COMMA_BEFORE_NON_DIGIT.matcher(line).replaceAll(" $1 $2");
        line = DASH_AFTER_DIGIT.matcher(line).replaceAll("$1 $2 ");
        return String.join(" ", PyText.split(line));
    }
}
