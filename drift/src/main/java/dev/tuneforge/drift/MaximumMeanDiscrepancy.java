package dev.tuneforge.drift;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The squared maximum mean discrepancy between two sets of vectors (Gretton et al. 2012, the unbiased estimator
 * MMD²_u of their Lemma 6) with a Gaussian kernel {@code k(x, y) = exp(-|x - y|² / (2 σ²))}, σ by the median
 * heuristic: the median (numpy's: the mean of the two middle values for an even count) of the Euclidean
 * distances between all distinct pairs of the pooled vectors (σ = 1 if that median is 0).
 *
 * <p>p-value by permutation: the pooled vectors are shuffled {@code permutations} times with a
 * {@link SplittableRandom} of the given seed and split at the first set's size; p =
 * (1 + #{MMD²_perm >= MMD²_obs}) / (1 + permutations), so it is never 0 and the same seed gives the same p. The
 * kernel matrix is computed once (O((m+n)² d)), each permutation is O((m+n)²).
 */
public final class MaximumMeanDiscrepancy {

    public record Result(double mmd2, double bandwidth, double pValue, int permutations) {}

    private MaximumMeanDiscrepancy() {}

    /** MMD²_u only (no permutations). */
    public static double statistic(double[][] x, double[][] y) {
        return test(x, y, 0, 0).mmd2();
    }

    public static Result test(double[][] x, double[][] y, int permutations, long seed) {
        int m = x.length;
        int n = y.length;
        if (m < 2 || n < 2) {
            throw new IllegalArgumentException("MMD needs at least 2 vectors on each side (got " + m + " and " + n + ")");
        }
        int total = m + n;
        double[][] pooled = new double[total][];
        System.arraycopy(x, 0, pooled, 0, m);
        System.arraycopy(y, 0, pooled, m, n);
        double[] squared = new double[total * (total - 1) / 2];
        double[][] kernel = new double[total][total];
        int p = 0;
        for (int i = 0; i < total; i++) {
            for (int j = i + 1; j < total; j++) {
                squared[p++] = squaredDistance(pooled[i], pooled[j]);
            }
        }
        double[] distances = new double[squared.length];
        for (int i = 0; i < squared.length; i++) {
            distances[i] = Math.sqrt(squared[i]);
        }
        Arrays.sort(distances);
        int mid = distances.length / 2;
        double median = distances.length % 2 == 1 ? distances[mid] : (distances[mid - 1] + distances[mid]) / 2.0;
        double sigma = median > 0 ? median : 1.0;
        double scale = 1.0 / (2 * sigma * sigma);
        p = 0;
        for (int i = 0; i < total; i++) {
            for (int j = i + 1; j < total; j++) {
                double k = Math.exp(-squared[p++] * scale);
                kernel[i][j] = k;
                kernel[j][i] = k;
            }
        }
        int[] order = new int[total];
        for (int i = 0; i < total; i++) {
            order[i] = i;
        }
        double observed = mmd2(kernel, order, m);
        if (permutations <= 0) {
            return new Result(observed, sigma, Double.NaN, 0);
        }
        SplittableRandom random = new SplittableRandom(seed);
        int atLeast = 0;
        for (int b = 0; b < permutations; b++) {
            for (int i = total - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            if (mmd2(kernel, order, m) >= observed) {
                atLeast++;
            }
        }
        return new Result(observed, sigma, (1.0 + atLeast) / (1.0 + permutations), permutations);
    }

    /** MMD²_u of the split order[0..m) vs order[m..), from the kernel matrix (zero diagonal excluded). */
    private static double mmd2(double[][] kernel, int[] order, int m) {
        int total = order.length;
        int n = total - m;
        double xx = 0;
        double yy = 0;
        double xy = 0;
        for (int a = 0; a < total; a++) {
            double[] row = kernel[order[a]];
            boolean aInX = a < m;
            for (int b = a + 1; b < total; b++) {
                double k = row[order[b]];
                if (aInX) {
                    if (b < m) {
                        xx += k;
                    } else {
                        xy += k;
                    }
                } else {
                    yy += k;
                }
            }
        }
        return 2 * xx / ((double) m * (m - 1)) + 2 * yy / ((double) n * (n - 1)) - 2 * xy / ((double) m * n);
    }

    private static double squaredDistance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return s;
    }
}
