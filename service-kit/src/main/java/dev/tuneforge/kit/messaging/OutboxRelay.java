package dev.tuneforge.kit.messaging;

import dev.tuneforge.kit.concurrent.SerialPasses;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;

/**
 * Publishes committed outbox rows, oldest first, and marks them sent in the same transaction that
 * locked them. A crash after publishing but before the commit leaves the rows pending, so they are
 * published again: delivery is at-least-once and consumers dedupe on {@code ce_id} (see {@link Inbox}).
 *
 * <p>A pass runs as soon as a transaction that wrote to the outbox commits ({@link Outbox} wakes it), on a thread of
 * its own, and every {@code tuneforge.outbox.poll-interval} as the fallback: for rows another instance committed, a
 * pass that failed, or rows left by a relay that died. Passes of this instance never overlap ({@link SerialPasses});
 * across instances the advisory lock ({@link OutboxStore#tryLockRelay}) keeps one relay at a time, and a pass that
 * does not get it leaves the rows to the one that has it, or to the next poll.
 *
 * <p>Created at startup, so its metrics are exported from the first scrape rather than from the first poll.
 */
@Startup
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

    private final OutboxStore store;
    private final OutboxPublisher publisher;
    private final int batchSize;
    private final Duration retention;
    private final Counter published;
    private final SerialPasses passes = new SerialPasses("outbox-relay", this::relayPending);

    public OutboxRelay(OutboxStore store, OutboxPublisher publisher, MeterRegistry registry,
                       @ConfigProperty(name = "tuneforge.outbox.batch-size") int batchSize,
                       @ConfigProperty(name = "tuneforge.outbox.retention") Duration retention) {
        this.store = store;
        this.publisher = publisher;
        this.batchSize = batchSize;
        this.retention = retention;
        this.published = Counter.builder("tuneforge.outbox.published")
                .description("Events published from the outbox").register(registry);
        Gauge.builder("tuneforge.outbox.pending", store, s -> {
                    try {
                        return s.pendingCount();
                    } catch (RuntimeException e) {
                        return Double.NaN;
                    }
                })
                .description("Outbox events committed but not yet published")
                .strongReference(true)
                .register(registry);
    }

    @Scheduled(every = "${tuneforge.outbox.poll-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "1s")
    void poll() {
        passes.runExclusive(this::relayPending);
    }

    /** Runs a pass soon on the relay's thread (coalesced with any running or queued one); returns at once. */
    public void wake() {
        passes.wake();
    }

    @PreDestroy
    void stop() {
        passes.close();
    }

    private void relayPending() {
        try {
            while (relayBatch() == batchSize) {
                // a full batch: there may be more right behind it
            }
        } catch (RuntimeException e) {
            LOG.warnf("outbox relay pass failed, will retry: %s", e.getMessage());
        }
    }

    @Scheduled(every = "1h", delayed = "1m")
    void clean() {
        int deleted = store.deleteSentBefore(retention);
        if (deleted > 0) {
            LOG.debugf("deleted %d sent outbox rows older than %s", deleted, retention);
        }
    }

    /** Publishes one batch; returns how many events were published (0 if another relay holds the lock). */
    public int relayBatch() {
        return QuarkusTransaction.requiringNew().call(() -> {
            if (!store.tryLockRelay()) {
                return 0;
            }
            List<OutboxRecord> batch = store.pending(batchSize);
            publisher.publish(batch);
            store.markSent(batch);
            published.increment(batch.size());
            return batch.size();
        });
    }
}
