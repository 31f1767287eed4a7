package dev.tuneforge.kit.messaging;

import dev.tuneforge.events.CloudEventHeaders;
import io.smallrye.context.CleanAutoCloseable;
import io.smallrye.context.SmallRyeThreadContext;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.context.ThreadContext;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Sends outbox rows as CloudEvents 1.0 binary-mode Kafka records (the {@code ce_*} headers carry
 * the attributes, the value is the JSON data) and waits until the broker has acknowledged all of them
 * ({@code acks=all}, idempotent producer).
 *
 * <p>The sends carry none of the caller's context. Mutiny would otherwise capture the relay's transaction with each
 * send's callbacks and resume it on the producer's thread when the broker acknowledges; the relay, whose wait ends
 * with that acknowledgement, could then commit while the producer's thread was still inside its transaction, and the
 * commit failed (Narayana: "commiting with 2 threads active", Agroal: "Enlisted connection used without active
 * transaction"), so the batch was sent again. Seen once the relay ran after every commit.
 */
@ApplicationScoped
public class OutboxPublisher {

    public static final String CHANNEL = "outbox";

    private final MutinyEmitter<String> emitter;
    private final Duration sendTimeout;
    private final SmallRyeThreadContext noContext;

    public OutboxPublisher(@Channel(CHANNEL) MutinyEmitter<String> emitter,
                           @ConfigProperty(name = "tuneforge.outbox.send-timeout") Duration sendTimeout) {
        this.emitter = emitter;
        this.sendTimeout = sendTimeout;
        this.noContext = SmallRyeThreadContext.builder().propagated().cleared()
                .unchanged(ThreadContext.ALL_REMAINING).build();
    }

    /** Returns when every record is acknowledged; throws if any send failed or timed out. */
    public void publish(List<OutboxRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        try (CleanAutoCloseable ignored = SmallRyeThreadContext.withThreadContext(noContext)) {
            // Sent in seq order on one idempotent producer, so order per partition (aggregate) is kept.
            List<Uni<Void>> acks = records.stream().map(r -> emitter.sendMessage(toMessage(r))).toList();
            Uni.join().all(acks).andFailFast().await().atMost(sendTimeout);
        }
    }

    private static Message<String> toMessage(OutboxRecord record) {
        RecordHeaders headers = new RecordHeaders();
        header(headers, CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_VALUE);
        header(headers, CloudEventHeaders.ID, record.eventId().toString());
        header(headers, CloudEventHeaders.TYPE, record.type());
        header(headers, CloudEventHeaders.SOURCE, record.source());
        header(headers, CloudEventHeaders.SUBJECT, record.subject());
        header(headers, CloudEventHeaders.TIME, record.time().toString());
        header(headers, CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.JSON);
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withTopic(record.topic())
                .withKey(record.key())
                .withHeaders(headers)
                .build();
        return Message.of(record.payload()).addMetadata(metadata);
    }

    private static void header(RecordHeaders headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
