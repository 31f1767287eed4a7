package dev.tuneforge.worker.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.fixture.JsonTask;
import dev.tuneforge.worker.TrainRun;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.FailureCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code worker train} end to end on a tiny model: events, checkpoints, outputs. */
class TrainerTest {

    @TempDir
    Path dir;

    static ObjectNode spec(Path dir, String method) {
        TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small());
        Set<String> names = new HashSet<>();
        JsonTask.write(dir.resolve("train.jsonl"), 24, 1, false, names);
        JsonTask.write(dir.resolve("valid.jsonl"), 8, 2, true, names);
        ObjectNode spec = TrainRun.JSON.createObjectNode();
        spec.put("base_model", "base");
        spec.putObject("data").put("train", "train.jsonl").put("validation", "valid.jsonl").put("format", "chat");
        ObjectNode m = spec.putObject("method").put("type", method);
        if (method.equals("lora")) {
            m.put("r", 4).put("alpha", 8).put("dropout", 0.1);
            m.putArray("target_modules").add("q_proj").add("v_proj");
        }
        spec.putObject("hyperparameters").put("epochs", 2).put("batch_size", 4).put("gradient_accumulation_steps", 2)
                .put("learning_rate", 1e-2).put("lr_scheduler", "cosine").put("warmup_steps", 1).put("seed", 7);
        spec.put("eval_steps", 3).put("save_steps", 2).put("output_dir", "out");
        return spec;
    }

    @Test
    void loraRunReportsProgressEvaluatesCheckpointsAndWritesAPeftAdapter() throws Exception {
        TrainRun.Outcome run = TrainRun.run("train", spec(dir, "lora"), dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, run.exitCode(), run.events().toString());
        WorkerEvent.Started started = run.last(WorkerEvent.Started.class);
        assertEquals(6, started.totalSteps(), "24 examples / (4 x 2) = 3 steps per epoch, 2 epochs");
        assertEquals(6, run.all(WorkerEvent.Progress.class).size());
        assertEquals(2, run.all(WorkerEvent.Eval.class).size(), "at steps 3 and 6");
        assertEquals(3, run.all(WorkerEvent.Checkpoint.class).size(), "at steps 2, 4, 6");
        WorkerEvent.Finished finished = run.last(WorkerEvent.Finished.class);
        Path adapter = Path.of(finished.outputs().get("adapter"));
        JsonNode config = TrainRun.JSON.readTree(adapter.resolve("adapter_config.json").toFile());
        assertEquals("LORA", config.get("peft_type").asText());
        assertEquals("CAUSAL_LM", config.get("task_type").asText());
        assertTrue(Files.isRegularFile(adapter.resolve("adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(dir.resolve("out/checkpoint-4/optimizer.safetensors")));
        assertTrue(Files.isRegularFile(dir.resolve("out/trainer_state.json")));
        double first = run.all(WorkerEvent.Progress.class).getFirst().trainLoss();
        double last = run.last(WorkerEvent.Progress.class).trainLoss();
        assertTrue(last < first, "loss falls: " + first + " -> " + last);
    }

    @Test
    void promptTuningTrainsOnlyASoftPromptAndWritesItInPeftsPromptTuningLayout() throws Exception {
        ObjectNode spec = spec(dir, "prompt_tuning");
        ((ObjectNode) spec.get("method")).put("num_virtual_tokens", 6).put("init", "text")
                .put("init_text", "Reply in JSON");
        ((ObjectNode) spec.get("hyperparameters")).put("packing", true).put("learning_rate", 0.1);
        TrainRun.Outcome run = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, run.exitCode(), run.events().toString());
        WorkerEvent.Started started = run.last(WorkerEvent.Started.class);
        assertEquals(6 * 32, started.trainableParameters(), "6 virtual tokens of the hidden size, nothing else");
        assertEquals(6, started.totalSteps(), "one example a row, packing ignored: 3 steps per epoch, 2 epochs");
        assertEquals(2, run.all(WorkerEvent.Eval.class).size());
        assertEquals(3, run.all(WorkerEvent.Checkpoint.class).size());
        Path adapter = Path.of(run.last(WorkerEvent.Finished.class).outputs().get("adapter"));
        JsonNode config = TrainRun.JSON.readTree(adapter.resolve("adapter_config.json").toFile());
        assertEquals("PROMPT_TUNING", config.get("peft_type").asText());
        assertEquals("TEXT", config.get("prompt_tuning_init").asText());
        assertEquals("Reply in JSON", config.get("prompt_tuning_init_text").asText());
        assertEquals(6, config.get("num_virtual_tokens").asInt());
        assertTrue(Files.isRegularFile(dir.resolve("out/checkpoint-4/adapter_model.safetensors")));
        double first = run.all(WorkerEvent.Progress.class).getFirst().trainLoss();
        double last = run.last(WorkerEvent.Progress.class).trainLoss();
        assertTrue(last < first, "loss falls: " + first + " -> " + last);
    }

    @Test
    void aPrefixTuningSpecIsValidButTheDjlRuntimeRefusesItAsABadSpecNamingTheTorchRuntime() throws Exception {
        TrainRun.Outcome run = TrainRun.run("train", spec(dir, "prefix_tuning"), dir, StopSignal.manual());
        assertEquals(ExitCode.BAD_INPUT, run.exitCode());
        assertEquals(new WorkerEvent.Failed(FailureCode.BAD_SPEC, "method.type: prefix_tuning needs the torch runtime"),
                run.last(WorkerEvent.Failed.class));
        assertTrue(run.all(WorkerEvent.Started.class).isEmpty(), "refused before any work");
    }

    @Test
    void aBadSpecOrBadDataFailsWithBadInputAndSaysWhere() throws Exception {
        ObjectNode spec = spec(dir, "lora");
        ((ObjectNode) spec.get("hyperparameters")).put("learning_rate", -1);
        TrainRun.Outcome badSpec = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.BAD_INPUT, badSpec.exitCode());
        WorkerEvent.Failed failed = badSpec.last(WorkerEvent.Failed.class);
        assertEquals(FailureCode.BAD_SPEC, failed.code());
        assertTrue(failed.message().startsWith("hyperparameters.learning_rate: must be > 0"), failed.message());

        ((ObjectNode) spec.get("hyperparameters")).put("learning_rate", 0.01);
        Files.writeString(dir.resolve("train.jsonl"), "{\"messages\": []}\n");
        TrainRun.Outcome badData = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.BAD_INPUT, badData.exitCode());
        assertEquals(new WorkerEvent.Failed(FailureCode.BAD_DATA, "train.jsonl line 1: messages: must be a non-empty array"),
                badData.last(WorkerEvent.Failed.class));
    }

    @Test
    void gradientCheckpointingIsAValidSpecTheDjlRuntimeRefusesAsABadSpec() throws Exception {
        ObjectNode spec = spec(dir, "lora");
        ((ObjectNode) spec.get("hyperparameters")).put("gradient_checkpointing", true);
        TrainRun.Outcome run = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.BAD_INPUT, run.exitCode());
        assertEquals(new WorkerEvent.Failed(FailureCode.BAD_SPEC, "hyperparameters.gradient_checkpointing: the djl "
                + "runtime does not support gradient_checkpointing"), run.last(WorkerEvent.Failed.class));
        assertTrue(run.all(WorkerEvent.Started.class).isEmpty(), "refused before any work");
    }

    @Test
    void aQloraSpecIsValidButTheDjlRuntimeRefusesItAsABadSpecNamingTheTorchRuntime() throws Exception {
        ObjectNode spec = spec(dir, "lora");
        ((ObjectNode) spec.get("method")).put("type", "qlora");
        TrainRun.Outcome run = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.BAD_INPUT, run.exitCode());
        assertEquals(new WorkerEvent.Failed(FailureCode.BAD_SPEC, "method.type: qlora needs the torch runtime"),
                run.last(WorkerEvent.Failed.class));
        assertTrue(run.all(WorkerEvent.Started.class).isEmpty(), "refused before any work");
    }
}
