package dev.tuneforge.drift;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.math3.distribution.ChiSquaredDistribution;

/**
 * Has the completions' vocabulary shifted? The Jensen-Shannon distance between the reference's and the window's
 * token-id histograms, on buckets a window can fill, with a p-value.
 *
 * <p>Why buckets: a base model's vocabulary has tens of thousands of ids and a window a few thousand tokens, so
 * the raw histograms are sparse and their JS distance is large without any drift (0.25 between two samples of one
 * distribution in FalsePositiveRateTest's traffic). So the ids are bucketed first: every id whose reference share
 * would give the window at least {@value #MIN_EXPECTED} expected tokens is its own bucket (at most
 * {@value #MAX_BUCKETS} - 1 of them, the most frequent), every other id falls into one "other" bucket.
 *
 * <p>The distance is scipy's {@code jensenshannon} of the two bucket vectors ({@link JensenShannon}, base e). The
 * p-value uses the statistic's asymptotic law under no drift: for small differences
 * {@code JSD = JS² ≈ (1/8) sum (p - q)² / m}, and {@code sum (p - q)² / m · n1 n2 / (n1 + n2)} is Pearson's
 * two-sample chi-square with k - 1 degrees of freedom (k non-empty buckets), so
 * {@code p = chi2.sf(8 JS² n1 n2 / (n1 + n2), k - 1)}. An approximation (the expected-count rule above keeps
 * it reasonable); FalsePositiveRateTest measures its false-positive rate.
 */
public final class VocabularyShift {

    static final double MIN_EXPECTED = 5.0;
    static final int MAX_BUCKETS = 256;

    /** The JS distance of the bucketed histograms, its p-value, and the number of buckets. */
    public record Result(double distance, double pValue, int buckets) {}

    private VocabularyShift() {}

    public static Result test(long[] referenceCounts, long[] windowCounts) {
        if (referenceCounts.length != windowCounts.length) {
            throw new IllegalArgumentException("vocabulary histograms of different sizes (" + referenceCounts.length
                    + " and " + windowCounts.length + "): two tokenizers?");
        }
        long n1 = Arrays.stream(referenceCounts).sum();
        long n2 = Arrays.stream(windowCounts).sum();
        if (n1 == 0 || n2 == 0) {
            throw new IllegalArgumentException("vocabulary shift needs tokens on both sides (" + n1 + " and " + n2 + ")");
        }
        int[] bucketOf = buckets(referenceCounts, n1, n2);
        int k = 0;
        for (int b : bucketOf) {
            k = Math.max(k, b + 1);
        }
        long[] ref = new long[k];
        long[] cur = new long[k];
        for (int id = 0; id < referenceCounts.length; id++) {
            ref[bucketOf[id]] += referenceCounts[id];
            cur[bucketOf[id]] += windowCounts[id];
        }
        double js = JensenShannon.distance(ref, cur);
        int nonEmpty = 0;
        for (int b = 0; b < k; b++) {
            if (ref[b] + cur[b] > 0) {
                nonEmpty++;
            }
        }
        if (nonEmpty < 2) {
            return new Result(js, 1.0, nonEmpty);
        }
        double chi2 = 8 * js * js * ((double) n1 * n2 / ((double) n1 + n2));
        double p = new ChiSquaredDistribution(null, nonEmpty - 1).cumulativeProbability(chi2);
        return new Result(js, Math.min(1, Math.max(0, 1 - p)), nonEmpty);
    }

    /** Bucket per id: 0..b-1 for the ids a window of n2 tokens is expected to fill, b for all others. */
    static int[] buckets(long[] referenceCounts, long n1, long n2) {
        // Only ids the window is expected to fill are candidates; sorting just those keeps this O(V + c log c).
        List<Integer> candidates = new ArrayList<>();
        for (int id = 0; id < referenceCounts.length; id++) {
            if ((double) referenceCounts[id] / n1 * n2 >= MIN_EXPECTED) {
                candidates.add(id);
            }
        }
        candidates.sort((a, b) -> referenceCounts[a] != referenceCounts[b]
                ? Long.compare(referenceCounts[b], referenceCounts[a]) : Integer.compare(a, b));
        int own = Math.min(candidates.size(), MAX_BUCKETS - 1);
        int[] bucketOf = new int[referenceCounts.length];
        Arrays.fill(bucketOf, own);
        for (int b = 0; b < own; b++) {
            bucketOf[candidates.get(b)] = b;
        }
        return bucketOf;
    }
}
