package dev.tuneforge.eval.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * SQuAD answer metrics, following the official SQuAD v2.0 evaluation script
 * ({@code evaluate-v2.0.py}: {@code normalize_answer}, {@code compute_exact}, {@code compute_f1}):
 * lowercase, drop ASCII punctuation ({@code string.punctuation}), replace the articles
 * {@code a|an|the} (whole words) by a space, collapse whitespace; F1 over the multiset of
 * whitespace tokens. When either side normalises to no tokens, F1 is 1 if both are empty, else 0.
 * With several gold answers the best one counts; a dataset score is the macro average.
 */
public final class TokenF1 {

    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    private static final Pattern ARTICLES =
            Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);

    private TokenF1() {
    }

    /** SQuAD {@code normalize_answer}. */
    public static String normalize(String s) {
        String lower = s.toLowerCase(Locale.ROOT);
        StringBuilder noPunct = new StringBuilder(lower.length());
        lower.codePoints().filter(cp -> cp > 127 || PUNCTUATION.indexOf(cp) < 0)
                .forEach(noPunct::appendCodePoint);
        String noArticles = ARTICLES.matcher(noPunct).replaceAll(" ");
        return String.join(" ", PyText.split(noArticles));
    }

    /** SQuAD {@code compute_f1} for one prediction and one gold answer. */
    public static double score(String prediction, String gold) {
        List<String> pred = PyText.split(normalize(prediction));
        List<String> ref = PyText.split(normalize(gold));
        if (pred.isEmpty() || ref.isEmpty()) {
            return pred.equals(ref) ? 1.0 : 0.0;
        }
        Map<String, Integer> refCounts = new HashMap<>();
        ref.forEach(t -> refCounts.merge(t, 1, Integer::sum));
        int same = 0;
        for (String t : pred) {
            Integer left = refCounts.get(t);
            if (left != null && left > 0) {
                same++;
                refCounts.put(t, left - 1);
            }
        }
        if (same == 0) {
            return 0.0;
        }
        double precision = (double) same / pred.size();
        double recall = (double) same / ref.size();
        return 2 * precision * recall / (precision + recall);
    }

    /** Best F1 over several gold answers, as SQuAD scores a question. */
    public static double score(String prediction, List<String> golds) {
        double best = 0.0;
        for (String g : golds) {
            best = Math.max(best, score(prediction, g));
        }
        return best;
    }

    /** SQuAD {@code compute_exact}: normalised strings are equal. */
    public static boolean exactMatch(String prediction, String gold) {
        return normalize(prediction).equals(normalize(gold));
    }

    /** Macro-averaged F1 over aligned predictions and gold answers. */
    public static double macro(List<String> predictions, List<String> golds) {
        Metrics.requireSameSize(predictions, golds);
        double[] scores = new double[predictions.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = score(predictions.get(i), golds.get(i));
        }
        return Metrics.mean(scores);
    }
}
