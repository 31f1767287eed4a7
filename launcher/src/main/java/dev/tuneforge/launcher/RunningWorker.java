package dev.tuneforge.launcher;

import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A worker that a launcher started: a local process ({@link WorkerProcess}) or a Kubernetes Job
 * ({@link KubernetesWorker}). What an attempt does with it is the same for both: read its events, stop it.
 */
public interface RunningWorker {

    /** What to call it in logs and records: a pid, or {@code namespace/job}. */
    String id();

    /**
     * Hands each event to {@code listener} until the worker's output ends, then returns how it exited (a protocol
     * code, {@link ExitCode#KILLED} when it was killed). Lines that are not events this version knows are skipped.
     * A listener that throws stops reading and kills the worker.
     */
    WorkerExit pumpEvents(Consumer<WorkerEvent> listener) throws InterruptedException;

    /** Asks the worker to write a checkpoint and stop (SIGTERM; it exits {@link ExitCode#TERMINATED}). */
    void terminate();

    /** Stops the worker now, without a checkpoint. */
    void kill();

    /** Waits for the worker to end; false if it is still running after {@code timeout}. */
    boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException;

    /**
     * Why the launcher's watchdog stopped the worker (it went quiet, it outlived its stop grace), in words for the
     * attempt's record; empty when it did not.
     */
    default Optional<String> watchdogReason() {
        return Optional.empty();
    }
}
