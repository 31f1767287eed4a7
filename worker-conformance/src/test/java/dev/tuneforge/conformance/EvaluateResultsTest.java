package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.tuneforge.worker.protocol.WorkerEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The results file of {@code evaluate} and its summary in {@code finished}, and what the two runtimes make of the
 * same model, adapter and data with greedy decoding: they compute the same model, so the same losses (to
 * {@value #LOSS_TOLERANCE} relative, float32 summed in different orders) and the same text.
 */
class EvaluateResultsTest {

    static final double LOSS_TOLERANCE = 1e-4;
    private static final Map<String, JsonNodeType> FIELDS = Map.of("index", JsonNodeType.NUMBER,
            "loss", JsonNodeType.NUMBER, "tokens", JsonNodeType.NUMBER, "token_accuracy", JsonNodeType.NUMBER,
            "generated", JsonNodeType.STRING, "reference", JsonNodeType.STRING, "exact_match", JsonNodeType.BOOLEAN);

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void eachResultsLineHasExactlyTheDocumentedFieldsAndNoPartialFileIsLeft(Runtime runtime) throws IOException {
        WorkerRun.Outcome run = Suite.evaluation(runtime);
        List<JsonNode> lines = results(run);

        assertEquals(Suite.HELD_OUT_EXAMPLES, lines.size());
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line = lines.get(i);
            assertEquals(new TreeSet<>(FIELDS.keySet()), Layout.keys(line), line.toString());
            FIELDS.forEach((name, type) -> assertEquals(type, line.get(name).getNodeType(), name + " in " + line));
            assertTrue(line.get("index").isIntegralNumber() && line.get("tokens").isIntegralNumber(), line.toString());
            assertEquals(i, line.get("index").asInt(), "in example order: " + line);
            assertEquals(line.get("generated").asText().strip().equals(line.get("reference").asText().strip()),
                    line.get("exact_match").asBoolean(), line.toString());
        }
        try (Stream<Path> files = Files.list(run.workdir().resolve("eval"))) {
            assertEquals(List.of("results.jsonl"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void finishedHoldsTheDocumentedMetricsAndTheyAddUpTheResultsLines(Runtime runtime) throws IOException {
        WorkerRun.Outcome run = Suite.evaluation(runtime);
        WorkerEvent.Finished finished = run.last(WorkerEvent.Finished.class);
        assertEquals(Set.of("examples", "valid_loss", "perplexity", "token_accuracy", "tokens", "exact_match"),
                finished.metrics().keySet(), run.describe());

        List<JsonNode> lines = results(run);
        Map<String, Double> metrics = finished.numericMetrics();
        double tokens = lines.stream().mapToDouble(l -> l.get("tokens").asDouble()).sum();
        double lossSum = lines.stream().mapToDouble(l -> l.get("loss").asDouble() * l.get("tokens").asDouble()).sum();
        double correct = lines.stream()
                .mapToDouble(l -> l.get("token_accuracy").asDouble() * l.get("tokens").asDouble()).sum();
        double matches = lines.stream().filter(l -> l.get("exact_match").asBoolean()).count();
        assertEquals((double) lines.size(), metrics.get("examples"));
        assertEquals(tokens, metrics.get("tokens"));
        assertEquals(lossSum / tokens, metrics.get("valid_loss"), 1e-6 * metrics.get("valid_loss"),
                "the token-weighted mean loss");
        assertEquals(Math.exp(metrics.get("valid_loss")), metrics.get("perplexity"), 1e-9 * metrics.get("perplexity"));
        assertEquals(correct / tokens, metrics.get("token_accuracy"), 1e-9);
        assertEquals(matches / lines.size(), metrics.get("exact_match"), 1e-12);
    }

    @Test
    void bothRuntimesGiveTheSameLossesAndGreedyTextsForTheSameModelAdapterAndData() throws IOException {
        List<JsonNode> djl = results(Suite.evaluation(Runtime.DJL));
        List<JsonNode> torch = results(Suite.evaluation(Runtime.TORCH));

        assertEquals(djl.size(), torch.size());
        List<String> differences = new ArrayList<>();
        double worst = 0;
        for (int i = 0; i < djl.size(); i++) {
            JsonNode d = djl.get(i);
            JsonNode t = torch.get(i);
            double relative = Math.abs(d.get("loss").asDouble() - t.get("loss").asDouble()) / d.get("loss").asDouble();
            worst = Math.max(worst, relative);
            if (relative > LOSS_TOLERANCE) {
                differences.add(i + ": loss djl " + d.get("loss") + ", torch " + t.get("loss"));
            }
            for (String field : List.of("tokens", "token_accuracy", "generated", "reference", "exact_match")) {
                if (!d.get(field).equals(t.get(field))) {
                    differences.add(i + ": " + field + " djl " + d.get(field) + ", torch " + t.get(field));
                }
            }
        }
        System.out.printf("evaluate parity: max relative loss difference %.3e over %d examples%n", worst, djl.size());
        assertEquals(List.of(), differences, "the runtimes compute the same model");
    }

    /** The lines of an evaluation's results file. */
    static List<JsonNode> results(WorkerRun.Outcome run) throws IOException {
        Path file = Path.of(run.last(WorkerEvent.Finished.class).outputs().get("results"));
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            lines.add(Layout.JSON.readTree(line));
        }
        return lines;
    }
}
