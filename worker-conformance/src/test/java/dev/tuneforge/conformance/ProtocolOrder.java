package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tuneforge.worker.protocol.WorkerEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * The order docs/WORKER_PROTOCOL.md gives a train run's events: {@code started} first and once; {@code progress}
 * steps increasing by one from the step it resumed from; {@code eval} and {@code checkpoint} after the progress of
 * their step (before the next one); one last event that ends it ({@code finished}, {@code stopped}), none of
 * either before.
 */
final class ProtocolOrder {

    private ProtocolOrder() {
    }

    /** Checks the order and returns the steps the progress events counted. */
    static List<Long> assertTrainOrder(WorkerRun.Outcome run, Class<? extends WorkerEvent> last) {
        List<WorkerEvent> events = run.events();
        String context = run.describe();
        assertTrue(events.size() >= 2, context);
        WorkerEvent.Started started = assertInstanceOf(WorkerEvent.Started.class, events.getFirst(),
                "started comes first\n" + context);
        assertInstanceOf(last, events.getLast(), "the run ends with " + last.getSimpleName() + "\n" + context);
        long step = started.resumedFromStep();
        List<Long> steps = new ArrayList<>();
        for (WorkerEvent e : events.subList(1, events.size() - 1)) {
            switch (e) {
                case WorkerEvent.Progress p -> {
                    assertEquals(step + 1, p.step(), "progress steps increase by one\n" + context);
                    assertEquals(started.totalSteps(), p.totalSteps(), context);
                    step = p.step();
                    steps.add(step);
                }
                case WorkerEvent.Eval v -> assertEquals(step, v.step(), "eval after its step's progress\n" + context);
                case WorkerEvent.Checkpoint c ->
                        assertEquals(step, c.step(), "checkpoint after its step's progress\n" + context);
                default -> fail("no " + e.getClass().getSimpleName() + " in the middle of a run\n" + context);
            }
        }
        return steps;
    }
}
