package dev.tuneforge.worker.train;

import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/**
 * Turns SIGTERM into a request the trainer checks between steps, instead of the JVM's default of
 * exiting at once: cancel (and Kubernetes eviction) then costs at most one step, and the run resumes
 * from the checkpoint it writes before exiting with TERMINATED.
 */
public final class StopSignal {

    private final AtomicBoolean requested = new AtomicBoolean();

    /** A signal that only {@link #request()} sets, for in-process runs and tests. */
    public static StopSignal manual() {
        return new StopSignal();
    }

    /** A signal that SIGTERM and SIGINT set. */
    public static StopSignal onTermination() {
        StopSignal stop = new StopSignal();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> stop.request());
        }
        return stop;
    }

    public void request() {
        requested.set(true);
    }

    public boolean requested() {
        return requested.get();
    }
}
