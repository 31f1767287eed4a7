package dev.tuneforge.drift;

/**
 * The Jensen-Shannon distance between two histograms, as scipy's {@code scipy.spatial.distance.jensenshannon(p, q)}
 * computes it (base e): both vectors are first divided by their sums, {@code m = (p + q) / 2}, and the result is
 * {@code sqrt((sum rel_entr(p, m) + sum rel_entr(q, m)) / 2)} with {@code rel_entr(x, y) = x ln(x / y)} (0 where
 * x = 0). A distance in [0, sqrt(ln 2)]; used on the token-id histograms of {@link VocabularyHistogram}.
 */
public final class JensenShannon {

    private JensenShannon() {}

    public static double distance(long[] p, long[] q) {
        return distance(Samples.toDouble(p), Samples.toDouble(q));
    }

    public static double distance(double[] p, double[] q) {
        if (p.length != q.length) {
            throw new IllegalArgumentException("jensenshannon needs histograms of one length (" + p.length
                    + " and " + q.length + ")");
        }
        double sp = 0;
        double sq = 0;
        for (int i = 0; i < p.length; i++) {
            sp += p[i];
            sq += q[i];
        }
        if (!(sp > 0) || !(sq > 0)) {
            throw new IllegalArgumentException("jensenshannon needs two histograms with positive mass (sums "
                    + sp + " and " + sq + ")");
        }
        double left = 0;
        double right = 0;
        for (int i = 0; i < p.length; i++) {
            double pi = p[i] / sp;
            double qi = q[i] / sq;
            double m = (pi + qi) / 2.0;
            left += relEntr(pi, m);
            right += relEntr(qi, m);
        }
        return Math.sqrt((left + right) / 2.0);
    }

    private static double relEntr(double x, double y) {
        if (x > 0 && y > 0) {
            return x * Math.log(x / y);
        }
        return x == 0 && y >= 0 ? 0 : Double.POSITIVE_INFINITY;
    }
}
