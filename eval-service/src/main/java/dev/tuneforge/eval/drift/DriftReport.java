package dev.tuneforge.eval.drift;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.drift.DriftThresholds;
import dev.tuneforge.drift.MetricResult;
import dev.tuneforge.drift.TrafficSample;
import dev.tuneforge.events.DriftMetric;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.tokenizer.HfTokenizer;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A window's report, for the dashboard's drift page: the metrics as its {@code DriftMeasured} carries them, the
 * thresholds, and the reference (baseline) and current distributions side by side — prompt and completion lengths
 * in {@value #BUCKETS} equal-width buckets over both samples' range (shares of each sample), and the
 * {@value #TOP_TOKENS} most frequent completion tokens of each (id, decoded text, share). Every field name is snake
 * case, like the rest of the platform's JSON; the thresholds are named as a pipeline's {@code drift_thresholds}
 * names them ({@link DriftSettings#named}), not as {@code DriftThresholds}' Java fields.
 */
final class DriftReport {

    static final int BUCKETS = 20;
    static final int TOP_TOKENS = 20;

    private DriftReport() {
    }

    static ObjectNode of(DriftWindows.Window window, List<DriftMetric> metrics, List<String> detected,
                         DriftThresholds thresholds, TrafficSample reference, TrafficSample current, long unmeasured,
                         HfTokenizer tokenizer) {
        ObjectNode report = EventCodec.mapper().createObjectNode();
        report.put("window_id", window.id());
        report.put("project_id", window.projectId());
        report.put("model_name", window.modelName());
        report.put("model_version", window.version());
        report.put("window_start", window.start().toString());
        report.put("window_end", window.end().toString());
        report.put("observations", window.observations());
        report.put("measured", current.size());
        report.put("unmeasured", unmeasured);
        report.put("reference_examples", reference.size());
        report.putPOJO("observation_keys", window.objectKeys());
        report.putPOJO("metrics", metrics);
        report.putPOJO("detected", detected);
        report.putPOJO("thresholds", DriftSettings.named(thresholds));
        ObjectNode distributions = report.putObject("distributions");
        distributions.set("prompt_length", histogram(reference.promptLengths(), current.promptLengths()));
        distributions.set("completion_length", histogram(reference.completionLengths(), current.completionLengths()));
        ObjectNode vocabulary = distributions.putObject("completion_vocabulary");
        vocabulary.set("reference", top(reference.completionVocabulary(), tokenizer));
        vocabulary.set("current", top(current.completionVocabulary(), tokenizer));
        ObjectNode validity = distributions.putObject("output_validity");
        validity.set("reference", rate(reference));
        validity.set("current", rate(current));
        return report;
    }

    /** The window's valid share, NaN when none of its completions could be checked. */
    static double validityRate(TrafficSample sample) {
        return sample.checkedOutputs() == 0 ? Double.NaN : (double) sample.validOutputs() / sample.checkedOutputs();
    }

    private static ObjectNode rate(TrafficSample sample) {
        ObjectNode node = EventCodec.mapper().createObjectNode();
        node.put("valid", sample.validOutputs());
        node.put("checked", sample.checkedOutputs());
        return node;
    }

    private static ObjectNode histogram(double[] reference, double[] current) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double[] side : List.of(reference, current)) {
            for (double v : side) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        ObjectNode node = EventCodec.mapper().createObjectNode();
        if (min > max) {
            return node;
        }
        double width = max > min ? (max - min) / BUCKETS : 1;
        ArrayNode edges = node.putArray("edges");
        for (int i = 0; i <= BUCKETS; i++) {
            edges.add(min + i * width);
        }
        node.putPOJO("reference", shares(reference, min, width));
        node.putPOJO("current", shares(current, min, width));
        return node;
    }

    private static double[] shares(double[] values, double min, double width) {
        double[] out = new double[BUCKETS];
        for (double v : values) {
            out[Math.min(BUCKETS - 1, (int) ((v - min) / width))] += 1.0 / values.length;
        }
        return out;
    }

    private static ArrayNode top(long[] counts, HfTokenizer tokenizer) {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        ArrayNode out = EventCodec.mapper().createArrayNode();
        if (total == 0) {
            return out;
        }
        long sum = total;
        IntStream.range(0, counts.length).boxed().filter(id -> counts[id] > 0)
                .sorted(Comparator.<Integer>comparingLong(id -> -counts[id]).thenComparing(id -> id))
                .limit(TOP_TOKENS)
                .forEach(id -> out.addObject().put("id", id)
                        .put("token", tokenizer.decode(new long[] {id}, false))
                        .put("share", (double) counts[id] / sum));
        return out;
    }
}
