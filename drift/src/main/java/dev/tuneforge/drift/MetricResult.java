package dev.tuneforge.drift;

/**
 * One metric of one window: the statistic itself (the number scipy / sklearn would print), the score compared with
 * the threshold (a p-value, or the statistic normalised as its threshold expects), the threshold, and whether it was
 * crossed. For p-values "crossed" means below the threshold; for distances and AUCs, above it.
 */
public record MetricResult(Metric metric, double statistic, double score, double threshold, boolean crossed) {

    static MetricResult pValue(Metric metric, double statistic, double pValue, double alpha) {
        return new MetricResult(metric, statistic, pValue, alpha, pValue < alpha);
    }

    static MetricResult above(Metric metric, double statistic, double score, double threshold) {
        return new MetricResult(metric, statistic, score, threshold, score > threshold);
    }
}
