package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.worker.parity.LogitsWriter;
import dev.tuneforge.worker.protocol.WorkerEvent;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A prompt-tuning adapter (PEFT's PROMPT_TUNING layout) means the same in the djl runtime as in transformers + PEFT:
 * the djl runtime's logits of the fixture with the soft prompt ({@link LogitsWriter}, float32) equal PEFT's for the
 * real tokens to 1e-4 relative (prompt_tuning/peft_prompt_tuning.py, run with the torch runtime's python), for a
 * prompt the djl runtime trained (PEFT loads what djl wrote) and for one PEFT itself wrote with
 * {@code get_peft_model} and {@code save_pretrained} (djl loads what PEFT wrote).
 */
class PromptTuningParityTest {

    private static final Path SCRIPT = Python.resource("prompt_tuning/peft_prompt_tuning.py");

    @Test
    void aSoftPromptTheDjlRuntimeTrainedGivesTheSameLogitsInTransformersWithPeft() throws IOException {
        WorkerEvent.Finished trained = Suite.promptTuning(Runtime.DJL).last(WorkerEvent.Finished.class);
        Path adapter = Path.of(trained.outputs().get("adapter"));
        JsonNode report = parity(Conformance.workspace("parity", "djl", "prompt-tuning"), adapter);
        System.out.printf("parity, soft prompt trained by djl: base %.3e, model + prompt %.3e relative (prompt effect "
                + "%.3e)%n", report.get("base_relative").asDouble(), report.get("relative").asDouble(),
                report.get("adapter_effect").asDouble());
    }

    @Test
    void aSoftPromptPeftWroteGivesTheSameLogitsInTheDjlRuntime() throws IOException {
        Path workdir = Conformance.workspace("parity", "peft", "prompt-tuning");
        Path adapter = workdir.resolve("adapter");
        Python.Result written = Python.run(workdir, SCRIPT, "write", "--model", Suite.fixtureModel().toString(),
                "--out", adapter.toString(), "--virtual-tokens", "5", "--seed", "3");
        assertEquals(0, written.status(), "peft_prompt_tuning.py write: " + written.describe());
        JsonNode report = parity(workdir, adapter);
        System.out.printf("parity, soft prompt written by PEFT: base %.3e, model + prompt %.3e relative (prompt effect "
                + "%.3e)%n", report.get("base_relative").asDouble(), report.get("relative").asDouble(),
                report.get("adapter_effect").asDouble());
    }

    /** The djl runtime's logits with {@code adapter}, checked against PEFT's; the script must find parity. */
    private static JsonNode parity(Path workdir, Path adapter) throws IOException {
        Path logits = workdir.resolve("logits.json");
        LogitsWriter.write(Suite.fixtureModel(), adapter, logits);
        Path report = workdir.resolve("report.json");
        Python.Result result = Python.run(workdir, SCRIPT, "check", "--model", Suite.fixtureModel().toString(),
                "--adapter", adapter.toString(), "--logits", logits.toString(), "--report", report.toString(),
                "--repo", Conformance.repo().toString());
        assertEquals(0, result.status(), "peft_prompt_tuning.py check: " + result.describe());
        return Layout.json(report);
    }
}
