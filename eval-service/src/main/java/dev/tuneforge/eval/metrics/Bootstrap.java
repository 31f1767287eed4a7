package dev.tuneforge.eval.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Seeded nonparametric bootstrap confidence intervals with the percentile method (Efron &amp;
 * Tibshirani, 1993, ch. 13): resample the examples with replacement, recompute the statistic, and
 * take the {@code (1-c)/2} and {@code (1+c)/2} percentiles of the replicates, interpolated linearly
 * as numpy's default {@code np.percentile} (the same procedure as {@code rouge_score}'s
 * {@code BootstrapAggregator}). The same seed gives the same interval.
 */
public final class Bootstrap {

    /** Default number of resamples. */
    public static final int DEFAULT_RESAMPLES = 1000;
    /** Default confidence level. */
    public static final double DEFAULT_CONFIDENCE = 0.95;
    /** Default seed. */
    public static final long DEFAULT_SEED = 12345L;

    /**
     * A point estimate on the full sample and its bootstrap interval.
     *
     * @param estimate   the statistic on the original sample
     * @param lower      lower percentile bound
     * @param upper      upper percentile bound
     * @param confidence confidence level, e.g. 0.95
     * @param resamples  number of bootstrap replicates
     */
    public record Interval(double estimate, double lower, double upper, double confidence, int resamples) {
    }

    private Bootstrap() {
    }

    /** 95% interval of the mean with 1000 resamples and the default seed. */
    public static Interval ci(double[] values) {
        return ci(values, DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE, DEFAULT_SEED);
    }

    /** Percentile interval of the mean of per-example values. */
    public static Interval ci(double[] values, int resamples, double confidence, long seed) {
        check(values.length, resamples, confidence);
        SplittableRandom rng = new SplittableRandom(seed);
        double[] means = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double sum = 0.0;
            for (int i = 0; i < values.length; i++) {
                sum += values[rng.nextInt(values.length)];
            }
            means[b] = sum / values.length;
        }
        return interval(Metrics.mean(values), means, confidence);
    }

    /** 95% interval of sacreBLEU corpus BLEU (one reference each), 1000 resamples, default seed. */
    public static Interval corpusBleuCi(List<String> hyps, List<String> refs) {
        return corpusBleuCi(hyps, List.of(refs), CorpusBleu.Options.CORPUS,
                DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE, DEFAULT_SEED);
    }

    /**
     * Percentile interval of corpus BLEU: segments are resampled and BLEU is recomputed from the
     * summed sufficient statistics, as sacreBLEU's own {@code --confidence} bootstrap does.
     */
    public static Interval corpusBleuCi(List<String> hyps, List<List<String>> refStreams,
                                        CorpusBleu.Options options, int resamples, double confidence,
                                        long seed) {
        List<CorpusBleu.SegmentStats> stats = CorpusBleu.segmentStats(hyps, refStreams, options);
        double estimate = CorpusBleu.fromStats(CorpusBleu.SegmentStats.sum(stats), options).score();
        return resampled(stats, s -> CorpusBleu.fromStats(CorpusBleu.SegmentStats.sum(s), options).score(),
                estimate, resamples, confidence, seed);
    }

    /** Percentile interval of any statistic of a list of examples. */
    public static <T> Interval ci(List<T> examples, ToDoubleFunction<List<T>> statistic, int resamples,
                                  double confidence, long seed) {
        return resampled(examples, statistic, statistic.applyAsDouble(examples), resamples, confidence, seed);
    }

    private static <T> Interval resampled(List<T> examples, ToDoubleFunction<List<T>> statistic, double estimate,
                                          int resamples, double confidence, long seed) {
        check(examples.size(), resamples, confidence);
        SplittableRandom rng = new SplittableRandom(seed);
        double[] replicates = new double[resamples];
        List<T> sample = new ArrayList<>(examples.size());
        for (int b = 0; b < resamples; b++) {
            sample.clear();
            for (int i = 0; i < examples.size(); i++) {
                sample.add(examples.get(rng.nextInt(examples.size())));
            }
            replicates[b] = statistic.applyAsDouble(sample);
        }
        return interval(estimate, replicates, confidence);
    }

    private static Interval interval(double estimate, double[] replicates, double confidence) {
        double[] sorted = replicates.clone();
        Arrays.sort(sorted);
        double tail = (1 - confidence) / 2;
        return new Interval(estimate, percentile(sorted, 100 * tail), percentile(sorted, 100 * (1 - tail)),
                confidence, replicates.length);
    }

    /** numpy's default ({@code method='linear'}) percentile of an ascending array, q in [0, 100]. */
    public static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("empty array");
        }
        double pos = q / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        double frac = pos - lo;
        return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
    }

    private static void check(int n, int resamples, double confidence) {
        if (n == 0) {
            throw new IllegalArgumentException("no examples to resample");
        }
        if (resamples <= 0) {
            throw new IllegalArgumentException("resamples must be positive");
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1)");
        }
    }
}
