package dev.tuneforge.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * ROUGE-L (Lin, 2004), sentence-level, as Google Research's {@code rouge_score} package computes it
 * ({@code rouge_scorer.RougeScorer(['rougeL'])}, functions {@code _score_lcs} and
 * {@code tokenize.tokenize}): text is lowercased, every run of characters outside {@code [a-z0-9]}
 * becomes a space, tokens are split on whitespace, optionally Porter-stemmed (NLTK's
 * {@code PorterStemmer}, only for tokens longer than 3 characters), and
 * precision = LCS / |hypothesis|, recall = LCS / |reference|, F = 2PR / (P + R).
 * If either side has no tokens all three are 0.
 */
public final class RougeL {

    private static final Pattern NON_ALPHANUMERIC = Pattern.compile("[^a-z0-9]+");
    private static final Pattern SPACES = Pattern.compile("\\s+");
    private static final Pattern VALID_TOKEN = Pattern.compile("^[a-z0-9]+$");

    /**
     * Precision, recall and F-measure, as {@code rouge_score.scoring.Score}.
     *
     * @param precision LCS / hypothesis length
     * @param recall    LCS / reference length
     * @param fmeasure  harmonic mean of precision and recall
     */
    public record Score(double precision, double recall, double fmeasure) {
    }

    private RougeL() {
    }

    /** ROUGE-L of a hypothesis against a reference, without stemming (the package default). */
    public static Score score(String hypothesis, String reference) {
        return score(hypothesis, reference, false);
    }

    /** ROUGE-L with {@code use_stemmer} as given. */
    public static Score score(String hypothesis, String reference, boolean stem) {
        return lcsScore(tokenize(reference, stem), tokenize(hypothesis, stem));
    }

    /** Macro average of per-pair ROUGE-L F-measures. */
    public static double meanF(List<String> hypotheses, List<String> references, boolean stem) {
        if (hypotheses.size() != references.size()) {
            throw new IllegalArgumentException("hypotheses and references differ in length");
        }
        if (hypotheses.isEmpty()) {
            return 0.0;
        }
        double sum = 0.0;
        for (int i = 0; i < hypotheses.size(); i++) {
            sum += score(hypotheses.get(i), references.get(i), stem).fmeasure();
        }
        return sum / hypotheses.size();
    }

    /** {@code rouge_score.tokenize.tokenize(text, stemmer)}. */
    public static List<String> tokenize(String text, boolean stem) {
        String lowered = text.toLowerCase(Locale.ROOT);
        String spaced = NON_ALPHANUMERIC.matcher(lowered).replaceAll(" ");
        List<String> tokens = new ArrayList<>();
        for (String t : SPACES.split(spaced, -1)) {
            String tok = stem && t.length() > 3 ? PorterStemmer.stem(t) : t;
            if (VALID_TOKEN.matcher(tok).matches()) {
                tokens.add(tok);
            }
        }
        return tokens;
    }

    private static Score lcsScore(List<String> target, List<String> prediction) {
        if (target.isEmpty() || prediction.isEmpty()) {
            return new Score(0, 0, 0);
        }
        int lcs = lcsLength(target, prediction);
        double precision = (double) lcs / prediction.size();
        double recall = (double) lcs / target.size();
        double f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
        return new Score(precision, recall, f);
    }

    private static int lcsLength(List<String> a, List<String> b) {
        int[] prev = new int[b.size() + 1];
        int[] cur = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            for (int j = 1; j <= b.size(); j++) {
                cur[j] = a.get(i - 1).equals(b.get(j - 1))
                        ? prev[j - 1] + 1
                        : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.size()];
    }
}
