package dev.tuneforge.drift;

import java.util.TreeMap;

/**
 * The population stability index of a current sample against a reference, binned as Evidently's {@code psi} stat
 * test bins it ({@code evidently.calculations.stattests.psi._psi} and {@code utils.get_binned_data}):
 *
 * <ul>
 *   <li>Numerical with more than 20 distinct reference values: equal-width bins over the pooled sample,
 *       {@code numpy.histogram_bin_edges(concat(reference, current), bins="sturges")}: k =
 *       ceil(range / width) bins with width = range / (log2(n_ref + n_cur) + 1) (at least 1 for integer
 *       data, as numpy does), edges {@code first + i * (range / k)}, the last edge the maximum; a bin is
 *       [e_i, e_{i+1}), the last one closed.</li>
 *   <li>Otherwise one bin per distinct value of either sample.</li>
 * </ul>
 *
 * Each sample's shares {@code count / n}; an empty bin gets {@code min(nonzero share) / 10^6} when that minimum is
 * at most 0.0001, else 0.0001 (Evidently's {@code feel_zeroes}, per sample). Then
 * {@code PSI = sum_i (ref_i - cur_i) ln(ref_i / cur_i)}. Evidently's default threshold is 0.1; see
 * {@link DriftThresholds} for ours.
 */
public final class PopulationStability {

    /** Evidently bins by value below this many distinct reference values. */
    static final int MAX_CATEGORICAL_VALUES = 20;

    private PopulationStability() {}

    /** Integer-valued samples (token lengths): numpy's integer rules for the bin width apply. */
    public static double index(long[] reference, long[] current) {
        return index(Samples.toDouble(reference), Samples.toDouble(current), true);
    }

    public static double index(double[] reference, double[] current) {
        return index(reference, current, false);
    }

    static double index(double[] reference, double[] current, boolean integerValued) {
        if (reference.length == 0 || current.length == 0) {
            throw new IllegalArgumentException("PSI needs two non-empty samples (sizes " + reference.length
                    + " and " + current.length + ")");
        }
        double[] ref = Samples.sortedCopy(reference);
        double[] cur = Samples.sortedCopy(current);
        double[] refShares;
        double[] curShares;
        if (distinct(ref) > MAX_CATEGORICAL_VALUES) {
            double[] edges = sturgesEdges(ref, cur, integerValued);
            refShares = shares(histogram(ref, edges), ref.length);
            curShares = shares(histogram(cur, edges), cur.length);
        } else {
            TreeMap<Double, long[]> counts = new TreeMap<>();
            for (double v : ref) {
                counts.computeIfAbsent(v, k -> new long[2])[0]++;
            }
            for (double v : cur) {
                counts.computeIfAbsent(v, k -> new long[2])[1]++;
            }
            long[] refCounts = new long[counts.size()];
            long[] curCounts = new long[counts.size()];
            int i = 0;
            for (long[] c : counts.values()) {
                refCounts[i] = c[0];
                curCounts[i++] = c[1];
            }
            refShares = shares(refCounts, ref.length);
            curShares = shares(curCounts, cur.length);
        }
        fillZeroes(refShares);
        fillZeroes(curShares);
        double psi = 0;
        for (int i = 0; i < refShares.length; i++) {
            psi += (refShares[i] - curShares[i]) * Math.log(refShares[i] / curShares[i]);
        }
        return psi;
    }

    /** numpy's histogram_bin_edges(a, bins="sturges") of the pooled sorted samples. */
    static double[] sturgesEdges(double[] ref, double[] cur, boolean integerValued) {
        double first = Math.min(ref[0], cur[0]);
        double last = Math.max(ref[ref.length - 1], cur[cur.length - 1]);
        int size = ref.length + cur.length;
        double range = last - first;
        if (first == last) {
            first -= 0.5;
            last += 0.5;
        }
        int bins = 1;
        double width = range / (Math.log(size) / Math.log(2) + 1.0);
        if (width != 0) {
            if (integerValued && width < 1) {
                width = 1;
            }
            bins = (int) Math.ceil((last - first) / width);
        }
        // numpy.linspace(first, last, bins + 1): start + i * step, the last edge exactly `last`.
        double step = (last - first) / bins;
        double[] edges = new double[bins + 1];
        for (int i = 0; i <= bins; i++) {
            edges[i] = i * step + first;
        }
        edges[bins] = last;
        return edges;
    }

    /** numpy.histogram(sorted, edges): [e_i, e_{i+1}), the last bin closed. */
    static long[] histogram(double[] sorted, double[] edges) {
        int bins = edges.length - 1;
        long[] counts = new long[bins];
        for (int i = 0; i < bins; i++) {
            int lo = lowerBound(sorted, edges[i]);
            int hi = i == bins - 1 ? upperBound(sorted, edges[i + 1]) : lowerBound(sorted, edges[i + 1]);
            counts[i] = hi - lo;
        }
        return counts;
    }

    private static double[] shares(long[] counts, int n) {
        double[] out = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            out[i] = counts[i] / (double) n;
        }
        return out;
    }

    private static void fillZeroes(double[] shares) {
        double min = Double.POSITIVE_INFINITY;
        for (double s : shares) {
            if (s != 0) {
                min = Math.min(min, s);
            }
        }
        double fill = min <= 0.0001 ? min / 1e6 : 0.0001;
        for (int i = 0; i < shares.length; i++) {
            if (shares[i] == 0) {
                shares[i] = fill;
            }
        }
    }

    private static int distinct(double[] sorted) {
        int n = sorted.length == 0 ? 0 : 1;
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i] != sorted[i - 1]) {
                n++;
            }
        }
        return n;
    }

    private static int lowerBound(double[] sorted, double key) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static int upperBound(double[] sorted, double key) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
