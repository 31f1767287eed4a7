package dev.tuneforge.eval.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Classification metrics for label-style outputs, defined as scikit-learn's
 * {@code accuracy_score} and {@code precision_recall_fscore_support(average='macro',
 * zero_division=0)}: the label set is the sorted union of gold and predicted labels; a label
 * never predicted has precision 0, a label never in gold has recall 0; macro F1 is the mean of the
 * per-label F1 values (not the F1 of macro precision and recall). Labels are compared after
 * removing surrounding whitespace.
 *
 * @param accuracy       fraction of exact label matches
 * @param macroPrecision unweighted mean of per-label precision
 * @param macroRecall    unweighted mean of per-label recall
 * @param macroF1        unweighted mean of per-label F1
 * @param perLabel       per-label values, in sorted label order
 */
public record LabelMetrics(double accuracy, double macroPrecision, double macroRecall, double macroF1,
                           Map<String, PerLabel> perLabel) {

    /**
     * One label's values.
     *
     * @param precision tp / (tp + fp), 0 if never predicted
     * @param recall    tp / (tp + fn), 0 if absent from gold
     * @param f1        2PR / (P + R), 0 if P + R = 0
     * @param support   occurrences in gold
     */
    public record PerLabel(double precision, double recall, double f1, long support) {
    }

    public LabelMetrics {
        perLabel = Collections.unmodifiableMap(new LinkedHashMap<>(perLabel));
    }

    /** Computes the metrics for aligned predicted and gold labels. */
    public static LabelMetrics of(List<String> predicted, List<String> gold) {
        Metrics.requireSameSize(predicted, gold);
        if (gold.isEmpty()) {
            return new LabelMetrics(0, 0, 0, 0, Map.of());
        }
        TreeSet<String> labels = new TreeSet<>();
        Map<String, long[]> counts = new LinkedHashMap<>(); // tp, fp, fn
        int correct = 0;
        for (int i = 0; i < gold.size(); i++) {
            String p = PyText.strip(predicted.get(i));
            String g = PyText.strip(gold.get(i));
            labels.add(p);
            labels.add(g);
            if (p.equals(g)) {
                correct++;
                counts.computeIfAbsent(g, k -> new long[3])[0]++;
            } else {
                counts.computeIfAbsent(p, k -> new long[3])[1]++;
                counts.computeIfAbsent(g, k -> new long[3])[2]++;
            }
        }
        Map<String, PerLabel> per = new LinkedHashMap<>();
        double sumP = 0;
        double sumR = 0;
        double sumF = 0;
        for (String label : labels) {
            long[] c = counts.getOrDefault(label, new long[3]);
            long tp = c[0];
            long fp = c[1];
            long fn = c[2];
            double precision = tp + fp == 0 ? 0.0 : (double) tp / (tp + fp);
            double recall = tp + fn == 0 ? 0.0 : (double) tp / (tp + fn);
            double f1 = precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
            per.put(label, new PerLabel(precision, recall, f1, tp + fn));
            sumP += precision;
            sumR += recall;
            sumF += f1;
        }
        int k = labels.size();
        return new LabelMetrics((double) correct / gold.size(), sumP / k, sumR / k, sumF / k, per);
    }
}
