package dev.tuneforge.worker.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.TrainRun;
import dev.tuneforge.worker.fixture.PreferenceTask;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.FailureCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code worker train} with method {@code dpo} end to end on a tiny model: it starts from the reference (the
 * base model), reports rewards, validates, checkpoints and writes a PEFT adapter; the reference
 * log-probabilities are computed once and a resumed run reads them; bad pairs and specs are refused.
 */
class DpoTrainingTest {

    @TempDir
    Path dir;

    static ObjectNode spec(Path dir) {
        TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small());
        Set<String> names = new HashSet<>();
        PreferenceTask.write(dir.resolve("pairs.jsonl"), 24, 1, false, names);
        PreferenceTask.write(dir.resolve("valid.jsonl"), 8, 2, true, names);
        ObjectNode spec = TrainRun.JSON.createObjectNode();
        spec.put("base_model", "base");
        spec.putObject("data").put("train", "pairs.jsonl").put("validation", "valid.jsonl")
                .put("format", "preference");
        spec.putObject("method").put("type", "dpo").put("r", 4).put("alpha", 8).put("dropout", 0.1)
                .put("beta", 0.2).put("label_smoothing", 0.1).putArray("target_modules").add("q_proj").add("v_proj");
        spec.putObject("hyperparameters").put("epochs", 2).put("batch_size", 2).put("gradient_accumulation_steps", 2)
                .put("learning_rate", 1e-2).put("lr_scheduler", "cosine").put("warmup_steps", 1).put("seed", 7);
        spec.put("eval_steps", 6).put("save_steps", 4).put("output_dir", "out");
        return spec;
    }

    @Test
    void aDpoRunStartsFromTheReferenceReportsRewardsValidatesAndWritesAPeftAdapter() throws Exception {
        TrainRun.Outcome run = TrainRun.run("train", spec(dir), dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, run.exitCode(), run.events().toString());
        WorkerEvent.Started started = run.last(WorkerEvent.Started.class);
        assertEquals(24, started.trainExamples(), "pairs");
        assertEquals(8, started.validationExamples());
        assertEquals(12, started.totalSteps(), "24 pairs / (2 x 2) = 6 steps per epoch, 2 epochs");

        List<WorkerEvent.Progress> progress = run.all(WorkerEvent.Progress.class);
        assertEquals(12, progress.size());
        WorkerEvent.Progress first = progress.getFirst();
        // LoRA's B starts at zero, so at step 1 the policy is the reference: r = 0 and the loss is log 2
        // (label smoothing does not change it there).
        assertEquals(Math.log(2), first.trainLoss(), 1e-5);
        assertEquals(0, first.rewardMargin(), 1e-5);
        for (WorkerEvent.Progress p : progress) {
            assertNotNull(p.rewardAccuracy(), p.toString());
            assertNotNull(p.rewardMargin(), p.toString());
        }
        double lastMargin = progress.subList(8, 12).stream().mapToDouble(WorkerEvent.Progress::rewardMargin)
                .average().orElseThrow();
        assertTrue(lastMargin > 0, "the policy moves towards the chosen answers: mean margin " + lastMargin);

        List<WorkerEvent.Eval> evals = run.all(WorkerEvent.Eval.class);
        assertEquals(List.of(6L, 12L), evals.stream().map(WorkerEvent.Eval::step).toList());
        for (WorkerEvent.Eval e : evals) {
            assertNotNull(e.rewardAccuracy(), e.toString());
            assertNotNull(e.rewardMargin(), e.toString());
            assertTrue(e.tokenAccuracy() >= 0 && e.tokenAccuracy() <= 1, e.toString());
        }
        WorkerEvent.Finished finished = run.last(WorkerEvent.Finished.class);
        WorkerEvent.Eval best = evals.stream().min((a, b) -> Double.compare(a.validLoss(), b.validLoss()))
                .orElseThrow();
        assertEquals(best.step(), finished.bestStep(), "the best step follows the DPO validation loss");
        Path adapter = Path.of(finished.outputs().get("adapter"));
        JsonNode config = TrainRun.JSON.readTree(adapter.resolve("adapter_config.json").toFile());
        assertEquals("LORA", config.get("peft_type").asText());
        assertTrue(Files.isRegularFile(adapter.resolve("adapter_model.safetensors")));
        assertTrue(Files.isDirectory(dir.resolve("out/checkpoint-8")));

        JsonNode reference = TrainRun.JSON.readTree(dir.resolve("out/reference_logps.json").toFile());
        assertEquals(24, reference.get("train").size());
        assertEquals(8, reference.get("validation").size());
        for (JsonNode pair : reference.get("train")) {
            assertTrue(pair.get(0).asDouble() < 0 && pair.get(1).asDouble() < 0, "log-probabilities: " + pair);
        }
    }

    @Test
    void theReferenceLogProbabilitiesAreComputedOnceAndAResumedRunReadsThem() throws Exception {
        ObjectNode spec = spec(dir);
        spec.put("output_dir", "straight");
        TrainRun.Outcome straight = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, straight.exitCode(), straight.events().toString());

        spec.put("output_dir", "interrupted");
        TrainRun.Outcome first = TrainRun.trainStoppedAfter(4, spec, dir);
        assertEquals(ExitCode.TERMINATED, first.exitCode(), first.events().toString());
        Path kept = dir.resolve("interrupted/reference_logps.json");
        String computed = Files.readString(kept);

        spec.put("resume_from", "interrupted/checkpoint-4");
        TrainRun.Outcome resumed = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, resumed.exitCode(), resumed.events().toString());
        assertEquals(computed, Files.readString(kept), "read, not written again");
        List<WorkerEvent.Progress> straightSteps = straight.all(WorkerEvent.Progress.class);
        for (WorkerEvent.Progress p : resumed.all(WorkerEvent.Progress.class)) {
            assertEquals(straightSteps.get((int) p.step() - 1).trainLoss(), p.trainLoss(), 1e-6,
                    "step " + p.step() + " as in the uninterrupted run");
        }

        // The kept values are what a resumed run uses: with every chosen reference 10 nats higher, each
        // reward falls by beta * 10 = 2.
        ObjectNode changed = (ObjectNode) TrainRun.JSON.readTree(computed);
        for (JsonNode pair : changed.get("train")) {
            ((ArrayNode) pair).set(0, pair.get(0).asDouble() + 10);
        }
        Files.writeString(kept, changed.toString());
        TrainRun.Outcome fromChanged = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, fromChanged.exitCode(), fromChanged.events().toString());
        WorkerEvent.Progress step5 = fromChanged.all(WorkerEvent.Progress.class).getFirst();
        assertEquals(5, step5.step());
        assertEquals(straightSteps.get(4).rewardMargin() - 2, step5.rewardMargin(), 1e-4);
    }

    @Test
    void badPairsAndAMethodWithoutPairsAreRefusedSayingWhere() throws Exception {
        ObjectNode spec = spec(dir);
        Files.writeString(dir.resolve("pairs.jsonl"), """
                {"prompt": "a", "chosen": "b", "rejected": "c"}
                {"prompt": "a", "chosen": "b", "rejected": 3}
                """);
        TrainRun.Outcome badData = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.BAD_INPUT, badData.exitCode());
        assertEquals(new WorkerEvent.Failed(FailureCode.BAD_DATA, "pairs.jsonl line 2: rejected: must be a string"),
                badData.last(WorkerEvent.Failed.class));

        ((ObjectNode) spec.get("data")).put("format", "chat");
        TrainRun.Outcome badSpec = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.BAD_INPUT, badSpec.exitCode());
        WorkerEvent.Failed failed = badSpec.last(WorkerEvent.Failed.class);
        assertEquals(FailureCode.BAD_SPEC, failed.code());
        assertTrue(failed.message().startsWith("data.format: method type \"dpo\" trains on pairs"), failed.message());
        assertTrue(badSpec.all(WorkerEvent.Started.class).isEmpty(), "refused before any work");
    }
}
