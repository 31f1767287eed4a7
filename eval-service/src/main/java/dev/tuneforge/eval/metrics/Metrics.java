package dev.tuneforge.eval.metrics;

import java.util.List;

/**
 * Simple per-example metrics and their aggregation.
 */
public final class Metrics {

    private Metrics() {
    }

    /**
     * Exact match after removing surrounding whitespace (Python's {@code str.strip()} notion of
     * whitespace), case-sensitive: 1 if equal, else 0. This is the plain "exact string match" of
     * e.g. lm-evaluation-harness with {@code ignore_case=False}; see {@link TokenF1#exactMatch} for the
     * SQuAD-normalised variant.
     */
    public static boolean exactMatch(String prediction, String gold) {
        return PyText.strip(prediction).equals(PyText.strip(gold));
    }

    /** Fraction of pairs that are {@link #exactMatch exact matches}. */
    public static double exactMatchRate(List<String> predictions, List<String> golds) {
        requireSameSize(predictions, golds);
        if (predictions.isEmpty()) {
            return 0.0;
        }
        int hits = 0;
        for (int i = 0; i < predictions.size(); i++) {
            if (exactMatch(predictions.get(i), golds.get(i))) {
                hits++;
            }
        }
        return (double) hits / predictions.size();
    }

    /** Arithmetic mean (macro average); 0 for an empty array. */
    public static double mean(double[] values) {
        if (values.length == 0) {
            return 0.0;
        }
        double sum = 0.0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    static void requireSameSize(List<?> a, List<?> b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("lists differ in length: " + a.size() + " vs " + b.size());
        }
    }
}
