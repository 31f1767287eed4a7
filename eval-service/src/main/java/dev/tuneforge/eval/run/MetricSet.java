package dev.tuneforge.eval.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import dev.tuneforge.eval.gate.Gate;
import dev.tuneforge.eval.metrics.Bootstrap;
import dev.tuneforge.eval.metrics.CorpusBleu;
import dev.tuneforge.eval.metrics.JsonChecks;
import dev.tuneforge.eval.metrics.LabelMetrics;
import dev.tuneforge.eval.metrics.Metrics;
import dev.tuneforge.eval.metrics.RougeL;
import dev.tuneforge.eval.metrics.TokenF1;
import dev.tuneforge.eval.metrics.TokenStats;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every metric of one subject on one held-out set, computed here from the worker's per-example output
 * (the worker generates; the numbers are ours, checked against reference implementations in the tests).
 *
 * @param values     metric name → value ({@code loss} and {@code perplexity}: lower is better)
 * @param perExample per-example scores behind the averaged metrics, for paired comparisons
 * @param intervals  95% bootstrap intervals of the main metrics
 */
public record MetricSet(Map<String, Double> values, Map<String, double[]> perExample,
                        Map<String, Bootstrap.Interval> intervals) {

    /**
     * Preference pairs: the mean {@code chosen_logp - rejected_logp} (docs/WORKER_PROTOCOL.md); beside it
     * {@link Gate#PREFERENCE_ACCURACY}, the share of pairs whose chosen answer the model finds the more likely.
     */
    public static final String LOGP_MARGIN = "logp_margin";

    /** Metrics where a lower value is better. */
    public static boolean lowerIsBetter(String metric) {
        return metric.equals("loss") || metric.equals("perplexity");
    }

    /**
     * @param schema a JSON Schema the outputs must follow, or null
     * @param labels true when the outputs are class labels (accuracy / macro P, R, F1 are added)
     */
    public static MetricSet compute(List<ExampleResult> results, JsonNode schema, boolean labels) {
        int n = results.size();
        double[] loss = new double[n];
        long[] tokens = new long[n];
        long[] correct = new long[n];
        double[] exact = new double[n];
        double[] json = new double[n];
        double[] conforms = new double[n];
        double[] rouge = new double[n];
        double[] f1 = new double[n];
        List<String> hyps = results.stream().map(ExampleResult::generated).toList();
        List<String> refs = results.stream().map(ExampleResult::reference).toList();
        JsonSchema compiled = schema == null ? null : JsonChecks.compile(schema);
        for (int i = 0; i < n; i++) {
            ExampleResult r = results.get(i);
            loss[i] = r.loss();
            tokens[i] = r.tokens();
            correct[i] = Math.round(r.tokenAccuracy() * r.tokens());
            exact[i] = Metrics.exactMatch(r.generated(), r.reference()) ? 1 : 0;
            json[i] = JsonChecks.valid(r.generated()) ? 1 : 0;
            if (compiled != null) {
                conforms[i] = JsonChecks.conforms(r.generated(), compiled) ? 1 : 0;
            }
            rouge[i] = RougeL.score(r.generated(), r.reference()).fmeasure();
            f1[i] = TokenF1.score(r.generated(), r.reference());
        }
        Map<String, Double> values = new LinkedHashMap<>();
        Map<String, double[]> perExample = new LinkedHashMap<>();
        Map<String, Bootstrap.Interval> intervals = new LinkedHashMap<>();
        values.put("examples", (double) n);
        if (n == 0) {
            return new MetricSet(values, perExample, intervals);
        }
        values.put("loss", TokenStats.meanLoss(loss, tokens));
        values.put("perplexity", TokenStats.perplexity(loss, tokens));
        values.put("token_accuracy", TokenStats.tokenAccuracy(correct, tokens));
        put(values, perExample, intervals, "exact_match", exact);
        put(values, perExample, intervals, "json_valid", json);
        if (compiled != null) {
            put(values, perExample, intervals, "json_schema", conforms);
        }
        put(values, perExample, intervals, "rouge_l", rouge);
        put(values, perExample, intervals, "token_f1", f1);
        values.put("bleu", CorpusBleu.score(hyps, refs).score());
        intervals.put("bleu", Bootstrap.corpusBleuCi(hyps, refs));
        perExample.put("loss", loss);
        if (results.stream().allMatch(ExampleResult::scoredPair)) {
            double[] prefers = new double[n];
            double[] margin = new double[n];
            for (int i = 0; i < n; i++) {
                ExampleResult r = results.get(i);
                margin[i] = r.chosenLogp() - r.rejectedLogp();
                prefers[i] = margin[i] > 0 ? 1 : 0;
            }
            put(values, perExample, intervals, Gate.PREFERENCE_ACCURACY, prefers);
            put(values, perExample, intervals, LOGP_MARGIN, margin);
        }
        if (labels) {
            LabelMetrics m = LabelMetrics.of(hyps.stream().map(String::strip).toList(),
                    refs.stream().map(String::strip).toList());
            values.put("accuracy", m.accuracy());
            values.put("macro_precision", m.macroPrecision());
            values.put("macro_recall", m.macroRecall());
            values.put("macro_f1", m.macroF1());
        }
        return new MetricSet(values, perExample, intervals);
    }

    private static void put(Map<String, Double> values, Map<String, double[]> perExample,
                            Map<String, Bootstrap.Interval> intervals, String name, double[] scores) {
        values.put(name, Metrics.mean(scores));
        perExample.put(name, scores);
        intervals.put(name, Bootstrap.ci(scores));
    }
}
