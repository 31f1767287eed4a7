package dev.tuneforge.dataset.storage;

import dev.tuneforge.dataset.storage.PendingDeletes.PendingDelete;
import dev.tuneforge.dataset.storage.PendingDeletes.Reason;
import dev.tuneforge.kit.concurrent.SerialPasses;
import dev.tuneforge.kit.db.AfterCommit;
import dev.tuneforge.kit.messaging.TransientFaults;
import dev.tuneforge.kit.storage.ObjectStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.minio.errors.ErrorResponseException;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;

/**
 * Deletes the objects recorded in {@link PendingDeletes}, and removes a row only once S3 has confirmed its delete.
 * A delete done straight after the commit is lost when S3 is away at that moment (restarting, a cut connection) or
 * the service dies in between, and the object then stays in S3 for good, named by no row or event. Here a crash loses
 * nothing (the row survives) and a failed try is retried with exponential backoff ({@code initial-backoff}, doubling,
 * capped at {@code max-backoff}), never dropped: a transient fault ({@link TransientFaults}) is S3 away, and stops
 * the pass, since the other keys would fail the same way; any other fault (access denied, a missing bucket) needs an
 * operator, is logged as an error and retried at the longest backoff. A key S3 no longer has is done: S3's delete is
 * idempotent, so two instances sweeping the same row, or a sweep repeated after a crash, do no harm.
 *
 * <p>A pass runs as soon as a transaction that recorded a delete commits ({@link #deleteAfterCommit} wakes it), on a
 * thread of its own, and every {@code poll-interval} for retries and rows another instance committed; passes of this
 * instance never overlap ({@link SerialPasses}). Created at startup, so its gauge is exported from the first scrape.
 */
@Startup
@ApplicationScoped
public class PendingDeleteSweeper {

    private static final Logger LOG = Logger.getLogger(PendingDeleteSweeper.class);
    private static final Object WAKE_UP = new Object();
    private static final int BATCH = 100;
    private static final int MAX_ERROR_LENGTH = 1000;

    private final PendingDeletes pending;
    private final ObjectStore objects;
    private final AfterCommit afterCommit;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Counter deleted;
    private final Counter transientFaults;
    private final Counter otherFaults;
    private final SerialPasses passes = new SerialPasses("pending-deletes", this::sweep);

    public PendingDeleteSweeper(PendingDeletes pending, ObjectStore objects, AfterCommit afterCommit,
                                MeterRegistry registry,
                                @ConfigProperty(name = "tuneforge.datasets.pending-deletes.initial-backoff",
                                        defaultValue = "1s") Duration initialBackoff,
                                @ConfigProperty(name = "tuneforge.datasets.pending-deletes.max-backoff",
                                        defaultValue = "5m") Duration maxBackoff) {
        this.pending = pending;
        this.objects = objects;
        this.afterCommit = afterCommit;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.deleted = Counter.builder("tuneforge.datasets.pending.deletes.deleted")
                .description("Objects deleted from S3 by the pending-deletes sweeper").register(registry);
        this.transientFaults = failures(registry, "transient");
        this.otherFaults = failures(registry, "failure");
        Gauge.builder("tuneforge.datasets.pending.deletes", pending, p -> {
                    try {
                        return p.count();
                    } catch (RuntimeException e) {
                        return Double.NaN;
                    }
                })
                .description("Objects recorded for deletion from S3 and not yet deleted")
                .strongReference(true)
                .register(registry);
    }

    private static Counter failures(MeterRegistry registry, String fault) {
        return Counter.builder("tuneforge.datasets.pending.deletes.failures").tag("fault", fault)
                .description("Failed tries to delete a pending object from S3 (retried)").register(registry);
    }

    /**
     * Deletes {@code key} from S3 once the caller's transaction commits, however long S3 takes to be reachable: the
     * row joins the transaction, and the sweep is woken after the commit.
     */
    public void deleteAfterCommit(String key, Reason reason) {
        pending.add(key, reason);
        afterCommit.once(WAKE_UP, passes::wake);
    }

    @Scheduled(every = "${tuneforge.datasets.pending-deletes.poll-interval:1s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, delayed = "1s")
    void poll() {
        passes.runExclusive(this::sweep);
    }

    @PreDestroy
    void stop() {
        passes.close();
    }

    private void sweep() {
        try {
            List<PendingDelete> due;
            do {
                due = pending.due(BATCH);
                for (PendingDelete row : due) {
                    if (!delete(row)) {
                        return; // S3 is away: the other keys would fail the same way; the next poll tries again
                    }
                }
            } while (due.size() == BATCH);
        } catch (RuntimeException e) {
            LOG.warnf("pending deletes pass failed, will retry: %s", e.getMessage());
        }
    }

    /** Tries one delete; false when S3 was away (a transient fault). */
    private boolean delete(PendingDelete row) {
        try {
            objects.delete(row.key());
        } catch (RuntimeException e) {
            if (!noSuchKey(e)) {
                return failed(row, e);
            }
        }
        pending.done(row.key());
        deleted.increment();
        return true;
    }

    private boolean failed(PendingDelete row, RuntimeException e) {
        String error = describe(e);
        if (TransientFaults.isTransient(e)) {
            transientFaults.increment();
            pending.failed(row.key(), error, backoff(row.attempts()));
            if (row.attempts() == 0) {
                LOG.warnf("cannot delete %s yet (S3 away?), will retry until it can: %s", row.key(), error);
            } else {
                LOG.debugf("cannot delete %s yet (try %d): %s", row.key(), row.attempts() + 1, error);
            }
            return false;
        }
        otherFaults.increment();
        pending.failed(row.key(), error, maxBackoff);
        LOG.errorf("cannot delete %s (try %d), will retry in %s: %s", row.key(), row.attempts() + 1, maxBackoff,
                error);
        return true;
    }

    private Duration backoff(int attempts) {
        return backoff(initialBackoff, maxBackoff, attempts);
    }

    /** The wait after a key's {@code failedBefore + 1}-th failed try: {@code initial}, doubling, capped at {@code max}. */
    static Duration backoff(Duration initial, Duration max, int failedBefore) {
        Duration wait = initial;
        for (int i = 0; i < failedBefore && wait.isPositive() && wait.compareTo(max) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(max) < 0 ? wait : max;
    }

    private static boolean noSuchKey(Throwable e) {
        for (Throwable link = e; link != null; link = link.getCause()) {
            if (link instanceof ErrorResponseException s3 && s3.errorResponse() != null
                    && "NoSuchKey".equals(s3.errorResponse().code())) {
                return true;
            }
        }
        return false;
    }

    /** What went wrong, from the store's message down to the root cause; S3's messages carry no credentials. */
    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable link = e.getCause(); link != null && link != link.getCause(); link = link.getCause()) {
            text.append(": ").append(link.getClass().getSimpleName()).append(' ').append(link.getMessage());
        }
        return text.length() <= MAX_ERROR_LENGTH ? text.toString() : text.substring(0, MAX_ERROR_LENGTH);
    }
}
