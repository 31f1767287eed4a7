package dev.tuneforge.drift;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Every drift metric of one window against the model version's baseline, each with its threshold. A metric whose
 * inputs a side lacks (no prompt texts, no checked outputs, no completion tokens) is left out, not guessed; a metric
 * left out never crosses. The embedding tests are seeded ({@code seed}), so a window's report is reproducible.
 */
public record WindowReport(List<MetricResult> metrics) {

    public WindowReport {
        metrics = List.copyOf(metrics);
    }

    public static WindowReport compute(TrafficSample reference, TrafficSample window, DriftThresholds thresholds,
                                       long seed) {
        if (reference.size() == 0 || window.size() == 0) {
            throw new IllegalArgumentException("a window report needs observations on both sides (reference "
                    + reference.size() + ", window " + window.size() + ")");
        }
        List<MetricResult> out = new ArrayList<>();
        lengths(out, reference.promptLengths(), window.promptLengths(), thresholds, Metric.PROMPT_LENGTH_PSI,
                Metric.PROMPT_LENGTH_KS, Metric.PROMPT_LENGTH_WASSERSTEIN);
        lengths(out, reference.completionLengths(), window.completionLengths(), thresholds,
                Metric.COMPLETION_LENGTH_PSI, Metric.COMPLETION_LENGTH_KS, Metric.COMPLETION_LENGTH_WASSERSTEIN);
        if (hasMass(reference.completionVocabulary()) && hasMass(window.completionVocabulary())) {
            VocabularyShift.Result shift = VocabularyShift.test(reference.completionVocabulary(),
                    window.completionVocabulary());
            out.add(new MetricResult(Metric.COMPLETION_VOCABULARY_JS, shift.distance(), shift.pValue(),
                    thresholds.jensenShannonAlpha(),
                    shift.pValue() < thresholds.jensenShannonAlpha() && shift.distance() > thresholds.jensenShannon()));
        }
        if (reference.promptEmbeddings().length >= 4 && window.promptEmbeddings().length >= 4) {
            DomainClassifier.Result classifier = DomainClassifier.fit(reference.promptEmbeddings(),
                    window.promptEmbeddings(), thresholds.embeddingsPerSide(), seed);
            double bound = Math.max(thresholds.domainClassifierAuc(),
                    classifier.nullQuantile(thresholds.domainClassifierLevel()));
            out.add(MetricResult.above(Metric.PROMPT_DOMAIN_CLASSIFIER_AUC, classifier.rocAuc(), classifier.rocAuc(),
                    bound));
            SplittableRandom random = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
            double[][] x = DomainClassifier.sample(reference.promptEmbeddings(), thresholds.embeddingsPerSide(), random)
                    .toArray(double[][]::new);
            double[][] y = DomainClassifier.sample(window.promptEmbeddings(), thresholds.embeddingsPerSide(), random)
                    .toArray(double[][]::new);
            MaximumMeanDiscrepancy.Result mmd = MaximumMeanDiscrepancy.test(x, y, thresholds.mmdPermutations(),
                    random.nextLong());
            out.add(MetricResult.pValue(Metric.PROMPT_EMBEDDING_MMD, mmd.mmd2(), mmd.pValue(), thresholds.mmdAlpha()));
        }
        if (reference.checkedOutputs() > 0 && window.checkedOutputs() > 0) {
            TwoProportionTest.Result validity = TwoProportionTest.test(reference.validOutputs(),
                    reference.checkedOutputs(), window.validOutputs(), window.checkedOutputs());
            out.add(MetricResult.pValue(Metric.OUTPUT_VALIDITY_RATE, validity.currentRate() - validity.referenceRate(),
                    validity.pValue(), thresholds.validityAlpha()));
        }
        return new WindowReport(out);
    }

    private static void lengths(List<MetricResult> out, double[] reference, double[] window,
                                DriftThresholds thresholds, Metric psiMetric, Metric ksMetric, Metric wMetric) {
        double psi = PopulationStability.index(reference, window, true);
        out.add(MetricResult.above(psiMetric, psi, psi, thresholds.psi()));
        KolmogorovSmirnov.Result ks = KolmogorovSmirnov.test(reference, window);
        out.add(MetricResult.pValue(ksMetric, ks.statistic(), ks.pValue(), thresholds.ksAlpha()));
        double w = Wasserstein.distance(reference, window);
        double sd = standardDeviation(reference);
        out.add(MetricResult.above(wMetric, w, sd > 0 ? w / sd : (w > 0 ? Double.POSITIVE_INFINITY : 0),
                thresholds.wasserstein()));
    }

    /** Population standard deviation (numpy's np.std, ddof = 0), as Evidently normalises the distance. */
    static double standardDeviation(double[] values) {
        double mean = 0;
        for (double v : values) {
            mean += v;
        }
        mean /= values.length;
        double s = 0;
        for (double v : values) {
            s += (v - mean) * (v - mean);
        }
        return Math.sqrt(s / values.length);
    }

    private static boolean hasMass(long[] counts) {
        for (long c : counts) {
            if (c > 0) {
                return true;
            }
        }
        return false;
    }

    public boolean anyCrossed() {
        return metrics.stream().anyMatch(MetricResult::crossed);
    }

    public Optional<MetricResult> metric(Metric metric) {
        return metrics.stream().filter(m -> m.metric() == metric).findFirst();
    }
}
