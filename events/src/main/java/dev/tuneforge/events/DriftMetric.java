package dev.tuneforge.events;

/**
 * One drift metric of one window, as the drift module's {@code MetricResult} has it.
 *
 * @param metric    the metric's name in snake case ({@code prompt_length_psi}, {@code output_validity_rate}, ...)
 * @param statistic the statistic itself, the number scipy / scikit-learn would print; null where it is not finite
 *                  (JSON has no infinity)
 * @param score     what is compared with the threshold: a p-value, or the statistic normalised as its threshold
 *                  expects; null where it is not finite
 * @param threshold the threshold the window was measured against
 * @param crossed   for p-values: below the threshold; for distances and AUCs: above it
 */
public record DriftMetric(String metric, Double statistic, Double score, double threshold, boolean crossed) {
}
