package dev.tuneforge.drift;

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
 * kernel matrix is computed once (O((m+n)² d)), each permutation is O(m²) (see {@link Split}).
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
        SparseVector[] sparse = new SparseVector[total];
        for (int i = 0; i < total; i++) {
            sparse[i] = SparseVector.of(pooled[i]);
        }
        // |a - b|² = |a|² + |b|² - 2 a·b, the dot product over b's non-zeros (clamped at 0 against rounding).
        double[] squared = new double[total * (total - 1) / 2];
        int p = 0;
        for (int i = 0; i < total; i++) {
            for (int j = i + 1; j < total; j++) {
                double d2 = sparse[i].squaredNorm() + sparse[j].squaredNorm() - 2 * sparse[j].dot(pooled[i]);
                squared[p++] = Math.max(0, d2);
            }
        }
        double[] distances = new double[squared.length];
        for (int i = 0; i < squared.length; i++) {
            distances[i] = Math.sqrt(squared[i]);
        }
        int mid = distances.length / 2;
        double upper = select(distances, mid);
        double median = distances.length % 2 == 1 ? upper : (max(distances, mid) + upper) / 2.0;
        double sigma = median > 0 ? median : 1.0;
        double scale = 1.0 / (2 * sigma * sigma);
        // The kernel matrix, flat (row-major, zero diagonal), its row sums and the sum over all pairs.
        double[] kernel = new double[total * total];
        double[] rowSums = new double[total];
        double pairSum = 0;
        p = 0;
        for (int i = 0; i < total; i++) {
            for (int j = i + 1; j < total; j++) {
                double k = Math.exp(-squared[p++] * scale);
                kernel[i * total + j] = k;
                kernel[j * total + i] = k;
                rowSums[i] += k;
                rowSums[j] += k;
                pairSum += k;
            }
        }
        Split split = new Split(kernel, rowSums, pairSum, total, m);
        int[] order = new int[total];
        for (int i = 0; i < total; i++) {
            order[i] = i;
        }
        double observed = split.mmd2(order);
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
            if (split.mmd2(order) >= observed) {
                atLeast++;
            }
        }
        return new Result(observed, sigma, (1.0 + atLeast) / (1.0 + permutations), permutations);
    }

    /**
     * MMD²_u of the split order[0..m) vs order[m..). Only the pairs within the first part are summed (xx); with the
     * row sums R and the sum T over all pairs, xy = sum_{i in X} R_i - 2 xx and yy = T - xx - xy, so a
     * permutation costs O(m²) instead of O((m+n)²).
     */
    private record Split(double[] kernel, double[] rowSums, double pairSum, int total, int m) {
        double mmd2(int[] order) {
            int n = total - m;
            double xx = 0;
            double rows = 0;
            for (int a = 0; a < m; a++) {
                int base = order[a] * total;
                rows += rowSums[order[a]];
                for (int b = a + 1; b < m; b++) {
                    xx += kernel[base + order[b]];
                }
            }
            double xy = rows - 2 * xx;
            double yy = pairSum - xx - xy;
            return 2 * xx / ((double) m * (m - 1)) + 2 * yy / ((double) n * (n - 1)) - 2 * xy / ((double) m * n);
        }
    }

    /**
     * The k-th smallest value (0-based), by quickselect (Hoare partition, middle pivot): O(n) on average instead of
     * sorting the (m+n)²/2 distances. Leaves values[0..k) <= values[k] <= values(k..n).
     */
    static double select(double[] values, int k) {
        int lo = 0;
        int hi = values.length - 1;
        while (lo < hi) {
            double pivot = values[(lo + hi) >>> 1];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (values[i] < pivot) {
                    i++;
                }
                while (values[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    double t = values[i];
                    values[i++] = values[j];
                    values[j--] = t;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                break;
            }
        }
        return values[k];
    }

    /** The largest of values[0..end), which after {@link #select}(values, end) is the (end-1)-th smallest. */
    private static double max(double[] values, int end) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < end; i++) {
            m = Math.max(m, values[i]);
        }
        return m;
    }
}
