package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.worker.parity.LogitsWriter;
import dev.tuneforge.worker.protocol.WorkerEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What one runtime writes means the same to the other: the djl runtime's logits ({@link LogitsWriter}, float32) of
 * an adapter and of a fully fine-tuned model equal transformers' and PEFT's (worker/parity/peft_parity.py, run with
 * the torch runtime's python) to 1e-4 relative — for the djl runtime's outputs (transformers and PEFT load what djl
 * wrote) and for the torch runtime's (djl loads what transformers and PEFT wrote). The adapters are trained on the
 * transformers-written fixture, the full models on a {@code TinyLlamaWriter} model with tied embeddings.
 */
class CrossRuntimeParityTest {

    private static final Path PEFT_PARITY = Conformance.repo().resolve("worker/parity/peft_parity.py");

    @ParameterizedTest(name = "written by {0}")
    @EnumSource(Runtime.class)
    void anAdapterGivesTheSameLogitsInDjlAsInTransformersWithPeft(Runtime writer) throws IOException {
        Path adapter = Path.of(Suite.lora(writer).last(WorkerEvent.Finished.class).outputs().get("adapter"));
        Path workdir = Conformance.workspace("parity", writer.wireName(), "adapter");
        Path logits = workdir.resolve("logits.json");
        LogitsWriter.write(Suite.fixtureModel(), adapter, logits);

        JsonNode report = peftParity(workdir, "--model", Suite.fixtureModel().toString(), "--adapter",
                adapter.toString(), "--logits", logits.toString());
        System.out.printf("parity, adapter written by %s: base %.3e, model + adapter %.3e relative (adapter effect "
                        + "%.3e)%n", writer, report.get("base_relative").asDouble(), report.get("relative").asDouble(),
                report.get("adapter_effect").asDouble());
    }

    @ParameterizedTest(name = "written by {0}")
    @EnumSource(Runtime.class)
    void aFullyFineTunedModelGivesTheSameLogitsInDjlAsInTransformers(Runtime writer) throws IOException {
        Path model = Path.of(Suite.full(writer).last(WorkerEvent.Finished.class).outputs().get("model"));
        Path workdir = Conformance.workspace("parity", writer.wireName(), "model");
        JsonNode trained = LogitsWriter.write(model, null, workdir.resolve("logits.json"));
        JsonNode base = LogitsWriter.write(Suite.tinyLlama(), null, workdir.resolve("base-logits.json"));
        double change = relativeChange(base.get("logits"), trained.get("logits"));
        assertTrue(change > 1e-3, "training changed the model, so the comparison proves something: " + change);

        JsonNode report = peftParity(workdir, "--model", model.toString(), "--logits",
                workdir.resolve("logits.json").toString());
        System.out.printf("parity, full model written by %s: %.3e relative (training changed the logits by %.3e)%n",
                writer, report.get("relative").asDouble(), change);
    }

    /** Runs peft_parity.py, which must find parity, and returns its report. */
    private static JsonNode peftParity(Path workdir, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--report", workdir.resolve("report.json").toString()));
        Python.Result result = Python.run(workdir, PEFT_PARITY, all.toArray(String[]::new));
        assertEquals(0, result.status(), "peft_parity.py: " + result.describe());
        return Layout.json(workdir.resolve("report.json"));
    }

    private static double relativeChange(JsonNode from, JsonNode to) {
        double[] maxima = new double[2];
        walk(from, to, maxima);
        return maxima[0] / maxima[1];
    }

    /** maxima[0]: max |to - from|, maxima[1]: max |from|, over nested arrays of the same shape. */
    private static void walk(JsonNode from, JsonNode to, double[] maxima) {
        if (from.isArray()) {
            for (int i = 0; i < from.size(); i++) {
                walk(from.get(i), to.get(i), maxima);
            }
        } else {
            maxima[0] = Math.max(maxima[0], Math.abs(to.asDouble() - from.asDouble()));
            maxima[1] = Math.max(maxima[1], Math.abs(from.asDouble()));
        }
    }
}
