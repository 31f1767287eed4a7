package dev.tuneforge.system;

import dev.tuneforge.events.DriftDetected;
import dev.tuneforge.events.DriftMeasured;
import dev.tuneforge.events.DriftMetric;
import dev.tuneforge.platform.EmbeddedStack;
import dev.tuneforge.platform.test.TopicClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Drift windows of a model version as eval-service writes them, for the dashboard's drift page in the browser test:
 * {@link #WINDOWS} hourly windows ending now, each with its DriftMeasured; prompt length drifts in the last two, the
 * first of which opens an episode (DriftDetected) and has a report in S3 with the reference and current distributions.
 * Written on the wire and in the bucket, so the gateway projects them as it does eval-service's.
 */
final class DriftWindows {

    static final int WINDOWS = 6;
    /** The window whose DriftDetected opens the episode and whose report the page draws. */
    static final String DRIFTED = "browser-w-5";

    private DriftWindows() {
    }

    static void write(EmbeddedStack stack, String projectId, String model, int version) throws Exception {
        TopicClient topics = new TopicClient(stack.kafkaBootstrapServers());
        Instant end = Instant.now().truncatedTo(ChronoUnit.HOURS);
        for (int i = 1; i <= WINDOWS; i++) {
            String id = "browser-w-" + i;
            Instant windowEnd = end.minus(Duration.ofHours(WINDOWS - i));
            boolean drifted = i >= WINDOWS - 1;
            double psi = drifted ? 0.35 + 0.05 * (i - WINDOWS + 1) : 0.03 + 0.01 * i;
            double ksP = drifted ? 0.001 : 0.4 + 0.05 * i;
            List<DriftMetric> metrics = List.of(
                    new DriftMetric("prompt_length_psi", psi, psi, 0.2, drifted),
                    new DriftMetric("prompt_length_ks", drifted ? 0.41 : 0.08, ksP, 0.05, drifted),
                    new DriftMetric("output_validity_rate", 0.0, 0.98, 0.01, false));
            String reportKey = null;
            if (drifted) {
                reportKey = "projects/" + projectId + "/monitoring/" + model + "/v" + version + "/" + id + "/report.json";
                put(stack, reportKey, report(metrics));
            }
            List<String> observations = List.of("projects/" + projectId + "/observations/" + model + "/" + id + ".jsonl");
            DriftMeasured measured = new DriftMeasured(projectId, model, version, id, windowEnd.minus(Duration.ofHours(1)),
                    windowEnd, 200, metrics, reportKey, observations);
            topics.publish(measured, "eval-service");
            if (id.equals(DRIFTED)) {
                topics.publish(new DriftDetected(projectId, model, version, id, measured.windowStart(), windowEnd, 200,
                        metrics, List.of("prompt_length_psi", "prompt_length_ks"), reportKey, observations),
                        "eval-service");
            }
        }
    }

    /** The report: the metrics, and prompt lengths of the training data against the window's, longer now. */
    private static String report(List<DriftMetric> metrics) {
        List<String> rows = new ArrayList<>();
        for (DriftMetric m : metrics) {
            rows.add("{\"metric\": \"" + m.metric() + "\", \"score\": " + m.score() + ", \"threshold\": " + m.threshold()
                    + ", \"crossed\": " + m.crossed() + "}");
        }
        return "{\"metrics\": [" + String.join(", ", rows) + "], \"distributions\": {"
                + "\"prompt_length\": {\"edges\": [0, 8, 16, 24, 32, 40], \"reference\": [0.1, 0.4, 0.3, 0.15, 0.05],"
                + " \"current\": [0.02, 0.08, 0.2, 0.35, 0.35]},"
                + " \"completion_length\": {\"edges\": [0, 4, 8, 12, 16], \"reference\": [0.2, 0.5, 0.2, 0.1],"
                + " \"current\": [0.25, 0.45, 0.2, 0.1]}}}";
    }

    private static void put(EmbeddedStack stack, String key, String json) throws Exception {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        stack.s3Client().putObject(PutObjectArgs.builder().bucket(stack.bucket()).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1).contentType("application/json").build());
    }
}
