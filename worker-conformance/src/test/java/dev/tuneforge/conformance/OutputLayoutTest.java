package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What a train run leaves in its output directory, as docs/WORKER_PROTOCOL.md ("Outputs") lists it. */
class OutputLayoutTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void aLoraRunWritesAPeftAdapterWithTheDocumentedConfigAndPeftsTensorNamesAndShapes(Runtime runtime) {
        Path adapter = Path.of(Suite.lora(runtime).last(WorkerEvent.Finished.class).outputs().get("adapter"));

        JsonNode config = Layout.json(adapter.resolve("adapter_config.json"));
        assertTrue(Layout.keys(config).containsAll(Set.of("peft_type", "task_type", "r", "lora_alpha", "lora_dropout",
                "target_modules", "use_rslora", "bias", "base_model_name_or_path")), Layout.keys(config).toString());
        assertEquals("LORA", config.get("peft_type").asText());
        assertEquals("CAUSAL_LM", config.get("task_type").asText());
        assertEquals(Suite.LORA.r(), config.get("r").asInt());
        assertEquals(Suite.LORA.alpha(), config.get("lora_alpha").asDouble());
        assertEquals(Suite.LORA.dropout(), config.get("lora_dropout").asDouble(), 1e-12);
        Set<String> targets = new TreeSet<>();
        config.get("target_modules").forEach(t -> targets.add(t.asText()));
        assertEquals(new TreeSet<>(Suite.LORA.targetModules()), targets);
        assertEquals(false, config.get("use_rslora").asBoolean());
        assertEquals("none", config.get("bias").asText());
        assertEquals(Suite.fixtureModel(), Path.of(config.get("base_model_name_or_path").asText()).toAbsolutePath());

        assertEquals(LlamaShapes.of(Suite.fixtureModel()).adapterTensors(Suite.LORA.targetModules(), Suite.LORA.r()),
                Layout.float32Tensors(adapter.resolve("adapter_model.safetensors")));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void aFullFineTuneWritesAHuggingFaceModelDirectoryWithTheBasesTokenizerAndChatTemplate(Runtime runtime)
            throws IOException {
        WorkerRun.Outcome run = Suite.full(runtime);
        WorkerEvent.Finished finished = run.last(WorkerEvent.Finished.class);
        Path model = run.workdir().resolve("out/model");
        assertEquals(Map.of("model", model.toString(), "trainer_state",
                run.workdir().resolve("out/trainer_state.json").toString()), finished.outputs(), run.describe());
        Path base = Suite.tinyLlama();

        JsonNode config = Layout.json(model.resolve("config.json"));
        JsonNode baseConfig = Layout.json(base.resolve("config.json"));
        for (String key : List.of("model_type", "hidden_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "vocab_size", "tie_word_embeddings", "eos_token_id")) {
            assertEquals(baseConfig.get(key), config.get(key), "config.json " + key);
        }
        assertEquals("bfloat16", baseConfig.get("dtype").asText());
        assertEquals("float32", config.get("dtype").asText(),
                "config.json names the weights' dtype: transformers loads a model in it");
        Map<String, List<Long>> baseTensors = Layout.tensors(base.resolve("model.safetensors"), false);
        assertEquals(baseTensors, Layout.float32Tensors(model.resolve("model.safetensors")),
                "the base's tensor names and shapes, in float32");
        for (String file : List.of("tokenizer.json", "tokenizer_config.json", "chat_template.jinja")) {
            assertArrayEquals(Files.readAllBytes(base.resolve(file)), Files.readAllBytes(model.resolve(file)),
                    file + " is the base's");
        }
        long parameters = baseTensors.values().stream().mapToLong(s -> s.stream().reduce(1L, (a, b) -> a * b)).sum();
        assertEquals(parameters, run.last(WorkerEvent.Started.class).trainableParameters(),
                "every weight trains: " + run.describe());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void trainerStateHoldsTheDocumentedKeysWithOneEntryPerStepAndPerValidation(Runtime runtime) {
        WorkerRun.Outcome run = Suite.lora(runtime);
        JsonNode state = Layout.json(Path.of(run.last(WorkerEvent.Finished.class).outputs().get("trainer_state")));

        assertTrue(Layout.keys(state).containsAll(Layout.TRAINER_STATE_KEYS), Layout.keys(state).toString());
        assertEquals(Suite.LORA_STEPS, state.get("global_step").asInt());
        WorkerEvent.Finished finished = run.last(WorkerEvent.Finished.class);
        assertEquals(finished.bestStep(), state.get("best_step").asLong());
        assertEquals(finished.numericMetrics().get("best_valid_loss"), state.get("best_metric").asDouble());
        List<WorkerEvent.Progress> progress = run.all(WorkerEvent.Progress.class);
        List<WorkerEvent.Eval> evals = run.all(WorkerEvent.Eval.class);
        List<JsonNode> steps = new ArrayList<>();
        List<JsonNode> validations = new ArrayList<>();
        for (JsonNode entry : state.get("log_history")) {
            Set<String> keys = Layout.keys(entry);
            if (keys.contains("loss")) {
                assertEquals(new TreeSet<>(Layout.STEP_LOG_KEYS), keys, entry.toString());
                steps.add(entry);
            } else {
                assertEquals(new TreeSet<>(Layout.EVAL_LOG_KEYS), keys, entry.toString());
                validations.add(entry);
            }
        }
        assertEquals(progress.size(), steps.size());
        for (int i = 0; i < progress.size(); i++) {
            WorkerEvent.Progress p = progress.get(i);
            JsonNode entry = steps.get(i);
            assertEquals(p.step(), entry.get("step").asLong());
            assertEquals(p.trainLoss(), entry.get("loss").asDouble(), entry.toString());
            assertEquals(p.learningRate(), entry.get("learning_rate").asDouble(), entry.toString());
            assertEquals(p.gradNorm(), entry.get("grad_norm").asDouble(), entry.toString());
            assertEquals(p.epoch(), entry.get("epoch").asDouble(), 1e-9, entry.toString());
        }
        assertEquals(evals.size(), validations.size());
        for (int i = 0; i < evals.size(); i++) {
            assertEquals(evals.get(i).step(), validations.get(i).get("step").asLong());
            assertEquals(evals.get(i).validLoss(), validations.get(i).get("eval_loss").asDouble());
            assertEquals(evals.get(i).tokenAccuracy(), validations.get(i).get("eval_token_accuracy").asDouble());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void everyCheckpointHoldsItsStateTheTrainerStateTheWeightsAndBothAdamWMoments(Runtime runtime) {
        for (var entry : Map.of("adapter", Suite.lora(runtime), "model", Suite.full(runtime)).entrySet()) {
            List<WorkerEvent.Checkpoint> checkpoints = entry.getValue().all(WorkerEvent.Checkpoint.class);
            assertTrue(checkpoints.size() >= 2, entry.getValue().describe());
            for (WorkerEvent.Checkpoint c : checkpoints) {
                Path dir = Path.of(c.dir());
                assertEquals("checkpoint-" + c.step(), dir.getFileName().toString());
                Layout.assertCompleteCheckpoint(dir, c.step(), entry.getKey());
            }
        }
        Path model = Suite.full(runtime).workdir().resolve("out/checkpoint-" + Suite.FULL_SAVE_STEPS);
        assertTrue(Files.isRegularFile(model.resolve("tokenizer.json")), "a full checkpoint is a loadable model");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void noTemporaryFileOrDirectoryIsLeftBehind(Runtime runtime) throws IOException {
        for (WorkerRun.Outcome run : List.of(Suite.lora(runtime), Suite.full(runtime))) {
            try (Stream<Path> files = Files.walk(run.workdir().resolve("out"))) {
                List<String> temporary = files.map(p -> run.workdir().relativize(p).toString())
                        .filter(p -> Stream.of(p.split("/")).anyMatch(
                                n -> n.startsWith(".") || n.endsWith(".tmp") || n.endsWith(".partial")))
                        .toList();
                assertEquals(List.of(), temporary, run.describe());
            }
        }
    }
}
