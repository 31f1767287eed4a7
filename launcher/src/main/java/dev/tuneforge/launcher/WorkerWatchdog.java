package dev.tuneforge.launcher;

import java.time.Duration;

/**
 * What a {@link WorkerProcess} does about a worker that will not stop or has gone quiet, so that neither keeps its
 * slot (and its job's lease) forever.
 *
 * @param stopGrace    how long a worker has after SIGTERM to write its checkpoint and exit before it gets SIGKILL;
 *                     null: it waits as long as the worker takes
 * @param stallTimeout a worker that prints no line on stdout for this long is stopped (SIGTERM, then SIGKILL after
 *                     {@code stopGrace}); null: never. Workers print an event per step, so a long silence means a hang
 */
public record WorkerWatchdog(Duration stopGrace, Duration stallTimeout) {

    /** No escalation, no stall timeout. */
    public static final WorkerWatchdog NONE = new WorkerWatchdog(null, null);

    public WorkerWatchdog {
        for (Duration d : new Duration[] {stopGrace, stallTimeout}) {
            if (d != null && (d.isNegative() || d.isZero())) {
                throw new IllegalArgumentException("a watchdog's durations are positive, got " + d);
            }
        }
    }
}
