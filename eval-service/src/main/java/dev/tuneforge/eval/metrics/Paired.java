package dev.tuneforge.eval.metrics;

/**
 * Per-example comparison of a candidate against a baseline on the same examples (higher is
 * better): how often the candidate wins, loses or ties, and the mean paired difference. A
 * difference within {@code tolerance} counts as a tie. For an interval on the mean difference,
 * pass {@link #deltas} to {@link Bootstrap#ci(double[], int, double, long)} (paired bootstrap,
 * Koehn, 2004).
 */
public final class Paired {

    /**
     * The outcome of a paired comparison.
     *
     * @param wins      examples where candidate &gt; baseline + tolerance
     * @param losses    examples where candidate &lt; baseline - tolerance
     * @param ties      the rest
     * @param meanDelta mean of candidate - baseline
     */
    public record Comparison(int wins, int losses, int ties, double meanDelta) {

        /** Number of examples compared. */
        public int total() {
            return wins + losses + ties;
        }

        /** Wins over all examples. */
        public double winRate() {
            return total() == 0 ? 0.0 : (double) wins / total();
        }
    }

    private Paired() {
    }

    /** Exact comparison (ties only when equal). */
    public static Comparison compare(double[] candidate, double[] baseline) {
        return compare(candidate, baseline, 0.0);
    }

    /** Comparison with a tie tolerance. */
    public static Comparison compare(double[] candidate, double[] baseline, double tolerance) {
        double[] d = deltas(candidate, baseline);
        int wins = 0;
        int losses = 0;
        int ties = 0;
        for (double x : d) {
            if (x > tolerance) {
                wins++;
            } else if (x < -tolerance) {
                losses++;
            } else {
                ties++;
            }
        }
        return new Comparison(wins, losses, ties, Metrics.mean(d));
    }

    /** Per-example differences candidate - baseline. */
    public static double[] deltas(double[] candidate, double[] baseline) {
        if (candidate.length != baseline.length) {
            throw new IllegalArgumentException("arrays differ in length: " + candidate.length + " vs " + baseline.length);
        }
        double[] d = new double[candidate.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = candidate[i] - baseline[i];
        }
        return d;
    }
}
