package dev.tuneforge.kit.messaging;

import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.MalformedEventException;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.narayana.jta.QuarkusTransactionException;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;

/**
 * Runs a consumer's effect exactly once per event id: the inbox row and the effect (and any events
 * the effect puts in the {@link Outbox}) commit in one transaction.
 *
 * <p>A malformed record is thrown straight back, so the channel's {@code dead-letter-queue} failure
 * strategy moves it to the DLQ with the reason in its headers. Any other failure is retried in place
 * with exponential backoff up to {@code tuneforge.messaging.max-attempts} times, then dead-lettered too.
 * Use from an {@code @Incoming @Blocking} method that receives the {@code ConsumerRecord}.
 */
@ApplicationScoped
public class InboxProcessor {

    private static final Logger LOG = Logger.getLogger(InboxProcessor.class);

    private final Inbox inbox;
    private final MeterRegistry registry;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration transactionTimeout;

    public InboxProcessor(Inbox inbox, MeterRegistry registry,
                          @ConfigProperty(name = "tuneforge.messaging.max-attempts") int maxAttempts,
                          @ConfigProperty(name = "tuneforge.messaging.initial-backoff") Duration initialBackoff,
                          @ConfigProperty(name = "tuneforge.messaging.transaction-timeout") Duration transactionTimeout) {
        this.inbox = inbox;
        this.registry = registry;
        this.maxAttempts = maxAttempts;
        this.initialBackoff = initialBackoff;
        this.transactionTimeout = transactionTimeout;
    }

    public void process(String consumer, ConsumerRecord<String, String> record, EventHandler handler) {
        Optional<EventEnvelope> parsed;
        try {
            parsed = IncomingEvents.parse(record);
        } catch (MalformedEventException e) {
            count(consumer, "dead-lettered");
            throw e;
        }
        if (parsed.isEmpty()) {
            count(consumer, "skipped-unknown-type");
            return;
        }
        EventEnvelope envelope = parsed.get();
        Duration backoff = initialBackoff;
        for (int attempt = 1; ; attempt++) {
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
                RuntimeException cause = unwrap(e);
                if (cause instanceof MalformedEventException || attempt >= maxAttempts) {
                    count(consumer, "dead-lettered");
                    throw cause instanceof MalformedEventException ? cause : new EventProcessingException(
                            envelope.type().typeName() + " " + envelope.id() + " failed after " + attempt
                                    + " attempts: " + cause.getMessage(), cause);
                }
                LOG.warnf("%s: %s %s failed (attempt %d of %d), retrying in %s: %s", consumer,
                        envelope.type().typeName(), envelope.id(), attempt, maxAttempts, backoff, cause.getMessage());
                sleep(backoff);
                backoff = backoff.multipliedBy(2);
            }
        }
    }

    private static RuntimeException unwrap(RuntimeException e) {
        if (e instanceof QuarkusTransactionException && e.getCause() instanceof RuntimeException cause) {
            return cause;
        }
        return e;
    }

    private void count(String consumer, String outcome) {
        registry.counter("tuneforge.inbox.events", "consumer", consumer, "outcome", outcome).increment();
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while backing off", e);
        }
    }
}
