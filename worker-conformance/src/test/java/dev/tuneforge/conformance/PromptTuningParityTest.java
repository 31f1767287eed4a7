package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.adapter.AdapterFiles;
import dev.tuneforge.worker.adapter.SoftPrompt;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.parity.LogitsWriter;
import dev.tuneforge.worker.protocol.TrainSpec;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.safetensors.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A prompt-tuning adapter (PEFT's PROMPT_TUNING layout) means the same in the djl runtime as in transformers + PEFT:
 * the djl runtime's logits of the fixture with the soft prompt ({@link LogitsWriter}, float32) equal PEFT's for the
 * real tokens to 1e-4 relative (prompt_tuning/peft_prompt_tuning.py, run with the torch runtime's python), for a
 * prompt the djl runtime trained (PEFT loads what djl wrote) and for one PEFT itself wrote with
 * {@code get_peft_model} and {@code save_pretrained}, started from a text (djl loads what PEFT wrote; and the djl
 * runtime starts a soft prompt from the same text at exactly the embeddings PEFT's {@code PromptEmbedding} does).
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
    void aSoftPromptPeftWroteStartsFromTheSameTextEmbeddingsAndGivesTheSameLogitsInTheDjlRuntime() throws IOException {
        Path workdir = Conformance.workspace("parity", "peft", "prompt-tuning");
        Path adapter = workdir.resolve("adapter");
        String text = "Answer in JSON";
        Python.Result written = Python.run(workdir, SCRIPT, "write", "--model", Suite.fixtureModel().toString(),
                "--out", adapter.toString(), "--virtual-tokens", "11", "--init-text", text);
        assertEquals(0, written.status(), "peft_prompt_tuning.py write: " + written.describe());
        float[] peft;
        try (SafetensorsReader weights = SafetensorsReader.open(adapter.resolve(AdapterFiles.WEIGHTS_FILE))) {
            peft = weights.floats(SoftPrompt.TENSOR);
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             LlamaModel model = LlamaModel.load(Suite.fixtureModel(), manager);
             HfTokenizer tokenizer = HfTokenizer.load(Suite.fixtureModel());
             SoftPrompt prompt = SoftPrompt.attach(model, new TrainSpec.PromptTuning(11, TrainSpec.PromptInit.TEXT,
                     text), tokenizer, 0)) {
            assertArrayEquals(peft, prompt.parameters().get(SoftPrompt.TENSOR).toFloatArray(),
                    "tokenizer(init_text) repeated and cut to 11 tokens, embedded");
        }

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
