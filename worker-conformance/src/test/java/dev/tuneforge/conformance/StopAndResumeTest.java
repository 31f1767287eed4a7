package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A stopped (SIGTERM) or killed (SIGKILL) run that resumes computes what the uninterrupted one computed: the same
 * loss at every step, the same final loss. Both runtimes promise more on the CPU (the same weights, bit for bit,
 * with a fixed thread count); the tolerance, {@value #LOSS_TOLERANCE} relative, is what a user comparing loss
 * curves would call the same, and leaves room for a runtime whose resume is exact only to float32 rounding.
 */
class StopAndResumeTest {

    static final double LOSS_TOLERANCE = 1e-5;

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void sigtermWritesACompleteCheckpointExits143AndTheResumedRunEndsAsTheUninterruptedOne(Runtime runtime) {
        WorkerRun.Outcome reference = Suite.lora(runtime);
        Path workdir = Suite.stageData("sigterm", runtime);
        WorkerRun.Outcome stopped = WorkerRun.train(runtime, Suite.loraSpec(), workdir, (event, worker) -> {
            if (event instanceof WorkerEvent.Progress p && p.step() == 2) {
                worker.terminate();
            }
        });

        stopped.assertExit(ExitCode.TERMINATED);
        List<Long> before = ProtocolOrder.assertTrainOrder(stopped, WorkerEvent.Stopped.class);
        WorkerEvent.Stopped stop = stopped.last(WorkerEvent.Stopped.class);
        String context = stopped.describe();
        assertTrue(stop.step() >= 2 && stop.step() < Suite.LORA_STEPS, "stopped between steps: " + context);
        assertEquals(before.getLast(), stop.step(), "after the step it was in: " + context);
        assertEquals(workdir.resolve("out/checkpoint-" + stop.step()).toString(), stop.checkpoint(), context);
        Layout.assertCompleteCheckpoint(Path.of(stop.checkpoint()), stop.step(), "adapter");
        assertSameLosses(reference, stopped);

        WorkerRun.Outcome resumed = WorkerRun.train(runtime, Suite.loraSpec(Suite.fixtureModel(), Path.of("latest")),
                workdir).assertExit(ExitCode.DONE);
        List<Long> after = ProtocolOrder.assertTrainOrder(resumed, WorkerEvent.Finished.class);
        assertEquals(stop.step(), resumed.last(WorkerEvent.Started.class).resumedFromStep(), resumed.describe());
        assertEquals(LongStream.rangeClosed(stop.step() + 1, Suite.LORA_STEPS).boxed().toList(), after,
                "the loss curve continues where it stopped: " + resumed.describe());
        assertSameLosses(reference, resumed);
        assertSameFinalLoss(reference, resumed);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void afterKill9ResumingFromThePeriodicCheckpointReproducesTheUninterruptedLosses(Runtime runtime) {
        WorkerRun.Outcome reference = Suite.lora(runtime);
        Path workdir = Suite.stageData("kill", runtime);
        WorkerRun.Outcome killed = WorkerRun.train(runtime, Suite.loraSpec(), workdir, (event, worker) -> {
            if (event instanceof WorkerEvent.Checkpoint c && c.step() == Suite.LORA_EVERY) {
                worker.kill();
            }
        });

        killed.assertExit(ExitCode.KILLED);
        assertTrue(killed.all(WorkerEvent.Finished.class).isEmpty(), "killed before the end: " + killed.describe());
        WorkerEvent.Checkpoint periodic = killed.all(WorkerEvent.Checkpoint.class).getFirst();
        Layout.assertCompleteCheckpoint(Path.of(periodic.dir()), Suite.LORA_EVERY, "adapter");

        WorkerRun.Outcome resumed = WorkerRun.train(runtime, Suite.loraSpec(Suite.fixtureModel(),
                Path.of(periodic.dir())), workdir).assertExit(ExitCode.DONE);
        List<Long> after = ProtocolOrder.assertTrainOrder(resumed, WorkerEvent.Finished.class);
        assertEquals(Suite.LORA_EVERY, resumed.last(WorkerEvent.Started.class).resumedFromStep(), resumed.describe());
        assertEquals(LongStream.rangeClosed(Suite.LORA_EVERY + 1, Suite.LORA_STEPS).boxed().toList(), after,
                resumed.describe());
        assertSameLosses(reference, resumed);
        assertSameFinalLoss(reference, resumed);
    }

    /** Every step (and validation) of {@code run} has the loss the uninterrupted run had at that step. */
    private static void assertSameLosses(WorkerRun.Outcome reference, WorkerRun.Outcome run) {
        Map<Long, Double> expected = reference.all(WorkerEvent.Progress.class).stream()
                .collect(Collectors.toMap(WorkerEvent.Progress::step, WorkerEvent.Progress::trainLoss));
        for (WorkerEvent.Progress p : run.all(WorkerEvent.Progress.class)) {
            assertClose(expected.get(p.step()), p.trainLoss(), "train_loss at step " + p.step(), run);
        }
        Map<Long, Double> expectedEval = reference.all(WorkerEvent.Eval.class).stream()
                .collect(Collectors.toMap(WorkerEvent.Eval::step, WorkerEvent.Eval::validLoss));
        for (WorkerEvent.Eval e : run.all(WorkerEvent.Eval.class)) {
            assertClose(expectedEval.get(e.step()), e.validLoss(), "valid_loss at step " + e.step(), run);
        }
    }

    private static void assertSameFinalLoss(WorkerRun.Outcome reference, WorkerRun.Outcome resumed) {
        WorkerEvent.Finished expected = reference.last(WorkerEvent.Finished.class);
        WorkerEvent.Finished actual = resumed.last(WorkerEvent.Finished.class);
        assertClose(expected.numericMetrics().get("train_loss"), actual.numericMetrics().get("train_loss"),
                "final train_loss", resumed);
        assertEquals(expected.bestStep(), actual.bestStep(), resumed.describe());
    }

    private static void assertClose(Double expected, double actual, String what, WorkerRun.Outcome run) {
        assertTrue(expected != null, "the uninterrupted run has no " + what);
        double relative = Math.abs(actual - expected) / Math.abs(expected);
        assertTrue(relative <= LOSS_TOLERANCE, what + ": " + actual + ", uninterrupted " + expected + " (relative "
                + relative + " > " + LOSS_TOLERANCE + ")\n" + run.describe());
    }
}
