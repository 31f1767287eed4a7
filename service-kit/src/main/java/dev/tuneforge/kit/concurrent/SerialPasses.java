package dev.tuneforge.kit.concurrent;

import org.jboss.logging.Logger;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pass over work in the database (the outbox relay's, the trainer scheduler's) that runs when something is woken
 * as well as on a timer, never two at a time. Quarkus schedules at most once a second, so a timer alone makes each
 * piece of work wait half a second on average; whoever commits work calls {@link #wake()} after the commit instead.
 *
 * <p>Wake-ups are coalesced: one that comes while a pass runs queues exactly one more pass, which starts after it and
 * so sees everything committed before the wake-up; further wake-ups during that pass add nothing. Woken passes run on
 * a thread of their own, never on the waker's (which is still finishing its transaction). The timer's pass runs on the
 * timer's thread through {@link #runExclusive}, which excludes the woken ones, so the two never overlap. A pass that
 * throws is logged and does not stop later wake-ups; the timer stays the fallback for a wake-up that never came
 * (work committed by another instance) or a pass that failed.
 */
public final class SerialPasses implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SerialPasses.class);
    private static final int IDLE = 0;
    private static final int RUNNING = 1;
    private static final int RUNNING_AND_QUEUED = 2;

    private final String name;
    private final Runnable pass;
    private final ReentrantLock exclusive = new ReentrantLock();
    private final AtomicInteger state = new AtomicInteger(IDLE);
    private final ExecutorService thread;

    /** @param name the thread's name, and the pass's in the log */
    public SerialPasses(String name, Runnable pass) {
        this.name = name;
        this.pass = pass;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs the pass soon on this object's thread; returns at once. */
    public void wake() {
        if (state.getAndUpdate(s -> Math.min(s + 1, RUNNING_AND_QUEUED)) != IDLE) {
            return; // the running pass, or the one queued behind it, will see what the caller committed
        }
        try {
            thread.execute(this::drain);
        } catch (RejectedExecutionException e) {
            state.set(IDLE); // closed: the application is stopping
        }
    }

    /** Runs {@code body} on the caller's thread, never at the same time as a woken pass or another such body. */
    public void runExclusive(Runnable body) {
        exclusive.lock();
        try {
            body.run();
        } finally {
            exclusive.unlock();
        }
    }

    /** No pass is running or queued (for tests). */
    public boolean idle() {
        return state.get() == IDLE;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }

    private void drain() {
        do {
            try {
                runExclusive(pass);
            } catch (RuntimeException e) {
                LOG.warnf(e, "%s failed; the next wake-up or the timer tries again", name);
            }
        } while (state.decrementAndGet() != IDLE);
    }
}
