package dev.tuneforge.kit.messaging;

import dev.tuneforge.events.CloudEventHeaders;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Sends outbox rows as CloudEvents 1.0 binary-mode Kafka records (the {@code ce_*} headers carry
 * the attributes, the value is the JSON data) and waits until the broker has acknowledged all of them
 * ({@code acks=all}, idempotent producer).
 */
@ApplicationScoped
public class OutboxPublisher {

    public static final String CHANNEL = "outbox";

    private final MutinyEmitter<String> emitter;
    private final Duration sendTimeout;

    public OutboxPublisher(@Channel(CHANNEL) MutinyEmitter<String> emitter,
                           @ConfigProperty(name = "tuneforge.outbox.send-timeout") Duration sendTimeout) {
        this.emitter = emitter;
        this.sendTimeout = sendTimeout;
    }

    /** Returns when every record is acknowledged; throws if any send failed or timed out. */
    public void publish(List<OutboxRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        // Sent in seq order on one idempotent producer, so order per partition (aggregate) is kept.
        List<Uni<Void>> acks = records.stream().map(r -> emitter.sendMessage(toMessage(r))).toList();
        Uni.join().all(acks).andFailFast().await().atMost(sendTimeout);
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
