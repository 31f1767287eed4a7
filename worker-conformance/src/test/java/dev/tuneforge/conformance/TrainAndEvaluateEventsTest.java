package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.worker.protocol.WorkerEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What a launcher reads from a train and an evaluate run: valid event lines, in the protocol's order, exit 0. */
class TrainAndEvaluateEventsTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void aShortLoraRunPrintsOnlyValidEventsInProtocolOrderAndExitsZero(Runtime runtime) {
        WorkerRun.Outcome run = Suite.lora(runtime);
        String context = run.describe();

        List<Long> steps = ProtocolOrder.assertTrainOrder(run, WorkerEvent.Finished.class);
        assertEquals(LongStream.rangeClosed(1, Suite.LORA_STEPS).boxed().toList(), steps, context);
        WorkerEvent.Started started = run.last(WorkerEvent.Started.class);
        assertEquals("train", started.command(), context);
        assertEquals(runtime.wireName(), started.runtime(), context);
        assertEquals("cpu", started.device(), context);
        assertEquals(Suite.LORA_STEPS, started.totalSteps(), context);
        assertEquals(Suite.TRAIN_EXAMPLES, started.trainExamples(), context);
        assertEquals(Suite.VALIDATION_EXAMPLES, started.validationExamples(), context);
        assertEquals(0, started.resumedFromStep(), context);
        assertEquals(LlamaShapes.of(Suite.fixtureModel()).adapterParameters(Suite.LORA.targetModules(),
                Suite.LORA.r()), started.trainableParameters(), context);

        List<Long> every = List.of(4L, 8L, 12L);
        List<WorkerEvent.Eval> evals = run.all(WorkerEvent.Eval.class);
        assertEquals(every, evals.stream().map(WorkerEvent.Eval::step).toList(), "eval_steps 4: " + context);
        List<WorkerEvent.Checkpoint> checkpoints = run.all(WorkerEvent.Checkpoint.class);
        assertEquals(every, checkpoints.stream().map(WorkerEvent.Checkpoint::step).toList(), "save_steps 4: " + context);
        for (WorkerEvent.Checkpoint c : checkpoints) {
            assertEquals(run.workdir().resolve("out/checkpoint-" + c.step()), Path.of(c.dir()), context);
            assertTrue(Files.isDirectory(Path.of(c.dir())), context);
        }

        WorkerEvent.Finished finished = run.last(WorkerEvent.Finished.class);
        WorkerEvent.Eval best = evals.stream().min(Comparator.comparingDouble(WorkerEvent.Eval::validLoss)).orElseThrow();
        assertEquals(best.step(), finished.bestStep(), "the best validation's step: " + context);
        assertEquals(Map.of("adapter", run.workdir().resolve("out/adapter").toString(),
                "trainer_state", run.workdir().resolve("out/trainer_state.json").toString()), finished.outputs(), context);
        assertEquals(Set.of("global_step", "early_stopped", "train_loss", "best_valid_loss", "valid_loss",
                "token_accuracy"), finished.metrics().keySet(), context);
        Map<String, Double> metrics = finished.numericMetrics();
        assertEquals(Suite.LORA_STEPS, metrics.get("global_step").intValue(), context);
        assertEquals(false, finished.metrics().get("early_stopped"), context);
        assertEquals(run.last(WorkerEvent.Progress.class).trainLoss(), metrics.get("train_loss"), context);
        assertEquals(evals.getLast().validLoss(), metrics.get("valid_loss"), context);
        assertEquals(evals.getLast().tokenAccuracy(), metrics.get("token_accuracy"), context);
        assertEquals(best.validLoss(), metrics.get("best_valid_loss"), context);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void evaluatePrintsStartedThenProgressOverTheExamplesThenFinishedWithTheResults(Runtime runtime) {
        WorkerRun.Outcome run = Suite.evaluation(runtime);
        String context = run.describe();
        List<WorkerEvent> events = run.events();

        WorkerEvent.Started started = assertInstanceOf(WorkerEvent.Started.class, events.getFirst(), context);
        assertEquals("evaluate", started.command(), context);
        assertEquals(runtime.wireName(), started.runtime(), context);
        assertEquals(Suite.HELD_OUT_EXAMPLES, started.totalSteps(), "total_steps counts the examples: " + context);
        List<WorkerEvent.Progress> progress = run.all(WorkerEvent.Progress.class);
        assertEquals(events.size() - 2, progress.size(), "only progress between started and finished: " + context);
        long previous = 0;
        for (WorkerEvent.Progress p : progress) {
            assertTrue(p.step() > previous, "progress counts examples up: " + context);
            assertEquals(Suite.HELD_OUT_EXAMPLES, p.totalSteps(), context);
            previous = p.step();
        }
        assertEquals(Suite.HELD_OUT_EXAMPLES, previous, "the last progress counts every example: " + context);

        WorkerEvent.Finished finished = assertInstanceOf(WorkerEvent.Finished.class, events.getLast(), context);
        Path results = run.workdir().resolve("eval/results.jsonl");
        assertEquals(Map.of("results", results.toString()), finished.outputs(), context);
        assertTrue(Files.isRegularFile(results), context);
    }
}
