package dev.tuneforge.kit.messaging;

import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.MalformedEventException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.narayana.jta.QuarkusTransactionException;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a consumer's effect exactly once per event id: the inbox row and the effect (and any events the effect puts
 * in the {@link Outbox}) commit in one transaction, so an event whose effect failed is not in the inbox and a
 * redelivery or a replay from the DLQ runs it.
 *
 * <p>A record is done only when its effect committed, it was a duplicate, or its copy is on the dead-letter topic;
 * until then {@link #process} does not return, so SmallRye neither acknowledges it nor commits its offset, and the
 * records behind it wait (the channel is {@code @Blocking} and ordered: partition order is kept). What happens on
 * failure is {@link InboxRetryPolicy}'s decision, on {@link TransientFaults}' classification:
 * <ul>
 *   <li>a malformed record (missing/invalid {@code ce_*} headers, JSON that is not the record) is poison at once;</li>
 *   <li>a transient fault (database, S3 or broker away) is retried for {@code tuneforge.messaging.transient-retry-for}
 *       with capped exponential backoff and never dead-lettered; past that, {@link InboxGaveUpException} fails the
 *       channel (its failure strategy must be {@code fail}) with the offset uncommitted: the service reports itself
 *       not live, and after a restart the event is delivered again;</li>
 *   <li>any other failure is retried up to {@code tuneforge.messaging.max-attempts} times in all, then the record is
 *       poison.</li>
 * </ul>
 * Poison goes to {@code <topic>.dlq} through {@link DeadLetterWriter} (a failure to write it is a broker fault,
 * retried like any other), then the consumer goes on with the next record. Use from an {@code @Incoming @Blocking}
 * method that receives the {@code ConsumerRecord}.
 */
@ApplicationScoped
public class InboxProcessor {

    private static final Logger LOG = Logger.getLogger(InboxProcessor.class);
    private static final String EVENTS = "tuneforge.inbox.events";
    private static final Duration SLEEP_STEP = Duration.ofSeconds(1);

    private final Inbox inbox;
    private final DeadLetterWriter deadLetters;
    private final MeterRegistry registry;
    private final InboxRetryPolicy policy;
    private final Duration transactionTimeout;
    private final String service;
    /** Consumer (channel) → when it took the record it is working on; for {@link InboxLiveness}. */
    private final Map<String, Instant> holding = new ConcurrentHashMap<>();
    private volatile boolean stopping;

    public InboxProcessor(Inbox inbox, DeadLetterWriter deadLetters, MeterRegistry registry,
                          @ConfigProperty(name = "tuneforge.messaging.max-attempts") int maxAttempts,
                          @ConfigProperty(name = "tuneforge.messaging.initial-backoff") Duration initialBackoff,
                          @ConfigProperty(name = "tuneforge.messaging.transient-retry-for") Duration transientRetryFor,
                          @ConfigProperty(name = "tuneforge.messaging.transient-max-backoff") Duration transientMaxBackoff,
                          @ConfigProperty(name = "tuneforge.messaging.transaction-timeout") Duration transactionTimeout,
                          @ConfigProperty(name = "quarkus.application.name") String service) {
        this.inbox = inbox;
        this.deadLetters = deadLetters;
        this.registry = registry;
        this.policy = new InboxRetryPolicy(maxAttempts, initialBackoff, transientRetryFor, transientMaxBackoff);
        this.transactionTimeout = transactionTimeout;
        this.service = service;
    }

    public void process(String consumer, ConsumerRecord<String, String> record, EventHandler handler) {
        holding.put(consumer, Instant.now());
        try {
            Optional<EventEnvelope> parsed;
            try {
                parsed = IncomingEvents.parse(record);
            } catch (MalformedEventException e) {
                deadLetter(consumer, record, DeadLetterHeaders.KIND_MALFORMED, e.getMessage(), e, 1,
                        policy.track());
                return;
            }
            if (parsed.isEmpty()) {
                count(consumer, "skipped-unknown-type");
                return;
            }
            handle(consumer, record, parsed.get(), handler);
        } finally {
            holding.remove(consumer);
        }
    }

    /** The consumers working on a record now, and since when. */
    public Map<String, Instant> holding() {
        return Map.copyOf(holding);
    }

    /** The longest an event may hold its consumer while everything works as designed. */
    public Duration longestHold() {
        return policy.longestHold(transactionTimeout);
    }

    /**
     * Registers the counters alerts watch at zero, so that the first dead letter or give-up of a consumer is already
     * an increase to Prometheus (a counter that appears at 1 is not).
     */
    public void registerMeters(String consumer, String topic) {
        deadLettered(consumer, topic);
        retries(consumer, topic, true);
        retries(consumer, topic, false);
        registry.counter(EVENTS, "consumer", consumer, "outcome", "gave-up");
        registry.counter(EVENTS, "consumer", consumer, "outcome", "dead-lettered");
    }

    void stopping(@Observes ShutdownEvent event) {
        stopping = true;
    }

    private void handle(String consumer, ConsumerRecord<String, String> record, EventEnvelope envelope,
                        EventHandler handler) {
        String what = envelope.type().typeName() + " " + envelope.id();
        InboxRetryPolicy.Tracker tracker = policy.track();
        while (true) {
            Throwable failure;
            try {
                boolean handled = QuarkusTransaction.requiringNew()
                        .timeout((int) transactionTimeout.toSeconds()).call(() -> {
                    if (!inbox.firstDelivery(consumer, envelope)) {
                        return false;
                    }
                    handler.handle(envelope);
                    return true;
                });
                count(consumer, handled ? "processed" : "duplicate");
                return;
            } catch (RuntimeException e) {
                failure = unwrap(e);
            }
            if (failure instanceof MalformedEventException) {
                deadLetter(consumer, record, DeadLetterHeaders.KIND_MALFORMED,
                        what + " is malformed: " + failure.getMessage(), failure, tracker.attempts() + 1, tracker);
                return;
            }
            Optional<InboxRetryPolicy.DeadLetter> poison =
                    afterFailure(consumer, record, what, tracker, TransientFaults.isTransient(failure), failure);
            if (poison.isPresent()) {
                deadLetter(consumer, record, DeadLetterHeaders.KIND_FAILED, what + " failed " + poison.get().attempts()
                        + " times, the last with " + describe(failure), failure, poison.get().attempts(), tracker);
                return;
            }
        }
    }

    /**
     * Waits out a retry's backoff and returns empty, or returns the verdict that the event is poison. Throws
     * {@link InboxGaveUpException} (the record stays uncommitted) when a transient fault outlasted its window or the
     * service is stopping.
     */
    private Optional<InboxRetryPolicy.DeadLetter> afterFailure(String consumer, ConsumerRecord<String, String> record,
                                                               String what, InboxRetryPolicy.Tracker tracker,
                                                               boolean transientFault, Throwable failure) {
        if (stopping) {
            // The database or broker may be going away under the effect; nothing is judged now. The record stays
            // uncommitted and is delivered again after the restart.
            throw new InboxGaveUpException(consumer + ": " + what + " interrupted by shutdown", failure);
        }
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        switch (tracker.failed(transientFault, Instant.now())) {
            case InboxRetryPolicy.Retry retry -> {
                retries(consumer, record.topic(), retry.transientFault()).increment();
                LOG.warnf("%s: %s at %s failed (attempt %d, %s), retrying in %s: %s", consumer, what, where,
                        tracker.attempts(), retry.transientFault() ? "transient fault, the partition waits" : "failure",
                        retry.delay(), describe(failure));
                sleep(retry.delay());
                return Optional.empty();
            }
            case InboxRetryPolicy.DeadLetter poison -> {
                return Optional.of(poison);
            }
            case InboxRetryPolicy.GiveUp giveUp -> {
                count(consumer, "gave-up");
                LOG.errorf("%s: %s at %s still meets transient faults after %s; giving up without committing it: the"
                                + " channel stops and the service reports itself not live, the event is delivered again"
                                + " after a restart. Last fault: %s", consumer, what, where, giveUp.retriedFor(),
                        describe(failure));
                throw new InboxGaveUpException(consumer + ": " + what + " met transient faults for "
                        + giveUp.retriedFor() + ": " + describe(failure), failure);
            }
        }
    }

    private void deadLetter(String consumer, ConsumerRecord<String, String> record, String kind, String reason,
                            Throwable failure, int attempts, InboxRetryPolicy.Tracker tracker) {
        DeadLetterWriter.Poison poison = new DeadLetterWriter.Poison(service, consumer, record, kind, reason, failure,
                attempts);
        while (true) {
            try {
                deadLetters.write(poison);
                break;
            } catch (RuntimeException e) {
                // The broker did not take the copy: its fault, never a reason to drop the record.
                afterFailure(consumer, record, "the dead letter", tracker, true, e);
            }
        }
        count(consumer, "dead-lettered");
        deadLettered(consumer, record.topic()).increment();
        LOG.errorf("%s: dead-lettered %s-%d@%d to %s.dlq: %s", consumer, record.topic(), record.partition(),
                record.offset(), record.topic(), reason);
    }

    private static String describe(Throwable failure) {
        return failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }

    /**
     * The effect's own failure: QuarkusTransaction wraps what escapes the effect, {@link Error}s included (a
     * {@code StackOverflowError} on input nested too deep is a failure like any other, dead-lettered after the last
     * attempt under its own name).
     */
    private static Throwable unwrap(RuntimeException e) {
        if (e instanceof QuarkusTransactionException
                && (e.getCause() instanceof RuntimeException || e.getCause() instanceof Error)) {
            return e.getCause();
        }
        return e;
    }

    private void count(String consumer, String outcome) {
        registry.counter(EVENTS, "consumer", consumer, "outcome", outcome).increment();
    }

    /** {@code tuneforge_inbox_dead_lettered_total{consumer,topic}}: records this consumer sent to the topic's DLQ. */
    private Counter deadLettered(String consumer, String topic) {
        return Counter.builder("tuneforge.inbox.dead.lettered").tag("consumer", consumer).tag("topic", topic)
                .description("Records the consumer could not process, written to <topic>.dlq").register(registry);
    }

    /** {@code tuneforge_inbox_retries_total{consumer,topic,fault}}, fault {@code transient} or {@code failure}. */
    private Counter retries(String consumer, String topic, boolean transientFault) {
        return registry.counter("tuneforge.inbox.retries", "consumer", consumer, "topic", topic,
                "fault", transientFault ? "transient" : "failure");
    }

    /** Backs off, a second at a time, so a service that is stopping does not wait out a long backoff. */
    private void sleep(Duration duration) {
        Instant until = Instant.now().plus(duration);
        try {
            for (Duration left = duration; left.isPositive(); left = Duration.between(Instant.now(), until)) {
                if (stopping) {
                    throw new InboxGaveUpException("stopped while backing off", null);
                }
                Thread.sleep(left.compareTo(SLEEP_STEP) < 0 ? left : SLEEP_STEP);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InboxGaveUpException("interrupted while backing off", e);
        }
    }
}
