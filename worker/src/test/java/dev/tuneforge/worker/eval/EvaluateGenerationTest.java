package dev.tuneforge.worker.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ai.djl.ndarray.NDManager;
import dev.tuneforge.worker.Djl;
import dev.tuneforge.worker.adapter.SoftPrompt;
import dev.tuneforge.worker.fixture.JsonTask;
import dev.tuneforge.worker.TrainRun;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.FailureCode;
import dev.tuneforge.worker.protocol.TrainSpec;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.train.StopSignal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code worker evaluate} with the spec's generation settings: sampled runs repeat, stop strings cut; with a soft
 * prompt as the adapter.
 */
class EvaluateGenerationTest {

    @TempDir
    Path dir;

    @Test
    void aSeededSampledEvaluationIsReproducibleAndStopStringsCutTheText() throws Exception {
        TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small().withTieEmbeddings(false));
        JsonTask.write(dir.resolve("heldout.jsonl"), 5, 3, true, new HashSet<>());

        List<String> greedy = generated(evaluate("greedy", spec -> { }));
        List<String> sampled = generated(evaluate("sampled", spec -> spec.put("temperature", 1.0).put("top_p", 0.95)
                .put("seed", 11)));
        List<String> again = generated(evaluate("again", spec -> spec.put("temperature", 1.0).put("top_p", 0.95)
                .put("seed", 11)));
        assertEquals(sampled, again, "the same seed gives the same generations");
        assertNotEquals(greedy, sampled);

        String stop = twoPlainCharacters(greedy);
        List<String> cut = generated(evaluate("cut", spec -> spec.putArray("stop").add(stop)));
        for (int i = 0; i < greedy.size(); i++) {
            String g = greedy.get(i);
            assertEquals(g.contains(stop) ? g.substring(0, g.indexOf(stop)) : g, cut.get(i), "example " + i);
        }
    }

    @Test
    void aSoftPromptAdapterChangesTheEvaluationAndAnAdapterTheDjlRuntimeCannotLoadIsABadSpec() throws Exception {
        Path base = TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small().withTieEmbeddings(false));
        JsonTask.write(dir.resolve("heldout.jsonl"), 5, 3, true, new HashSet<>());
        try (NDManager m = Djl.cpuManager(); LlamaModel model = LlamaModel.load(base, m);
             SoftPrompt prompt = SoftPrompt.attach(model,
                     new TrainSpec.PromptTuning(4, TrainSpec.PromptInit.RANDOM, null), null, 5)) {
            prompt.save(dir.resolve("adapter"), "base");
        }
        List<Double> plain = losses(evaluate("plain", spec -> { }));
        List<Double> prompted = losses(evaluate("prompted", spec -> spec.put("adapter", "adapter")));
        for (int i = 0; i < plain.size(); i++) {
            assertNotEquals(plain.get(i), prompted.get(i), "example " + i + ": the soft prompt is in the forward pass");
        }

        Path config = dir.resolve("adapter/adapter_config.json");
        Files.writeString(config, Files.readString(config).replace("PROMPT_TUNING", "PREFIX_TUNING"));
        ObjectNode spec = TrainRun.JSON.createObjectNode();
        spec.put("base_model", "base").put("adapter", "adapter");
        spec.putObject("data").put("file", "heldout.jsonl");
        spec.put("output", "prefix.jsonl");
        TrainRun.Outcome run = TrainRun.run("evaluate", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.BAD_INPUT, run.exitCode());
        assertEquals(new WorkerEvent.Failed(FailureCode.BAD_SPEC, "adapter: " + dir.resolve("adapter")
                + ": peft_type PREFIX_TUNING is not one the djl runtime loads (LORA, PROMPT_TUNING)"),
                run.last(WorkerEvent.Failed.class));
    }

    private static List<Double> losses(Path results) throws Exception {
        List<Double> out = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(results)) {
            out.add(TrainRun.JSON.readTree(line).get("loss").asDouble());
        }
        return out;
    }

    /** Two printable ASCII characters that some generation contains, past its start. */
    private static String twoPlainCharacters(List<String> texts) {
        for (String t : texts) {
            for (int i = 2; i + 2 <= t.length(); i++) {
                if (t.substring(i, i + 2).chars().allMatch(c -> c > ' ' && c < 127)) {
                    return t.substring(i, i + 2);
                }
            }
        }
        throw new AssertionError("no plain text in " + texts);
    }

    private Path evaluate(String name, java.util.function.Consumer<ObjectNode> settings) {
        ObjectNode spec = TrainRun.JSON.createObjectNode();
        spec.put("base_model", "base");
        spec.putObject("data").put("file", "heldout.jsonl");
        spec.put("max_new_tokens", 16).put("output", name + ".jsonl");
        settings.accept(spec);
        TrainRun.Outcome run = TrainRun.run("evaluate", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, run.exitCode(), run.events().toString());
        return dir.resolve(name + ".jsonl");
    }

    private static List<String> generated(Path results) throws Exception {
        List<String> texts = Files.readAllLines(results).stream().map(line -> {
            try {
                JsonNode result = TrainRun.JSON.readTree(line);
                return result.get("generated").asText();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
        assertEquals(5, texts.size());
        assertTrue(texts.stream().anyMatch(t -> !t.isEmpty()));
        return texts;
    }
}
