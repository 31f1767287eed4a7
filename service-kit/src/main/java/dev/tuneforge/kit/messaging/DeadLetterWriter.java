package dev.tuneforge.kit.messaging;

import dev.tuneforge.events.Topics;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Writes a poison record to its topic's dead-letter twin ({@link Topics#dlq}) and waits for the broker's ack, so the
 * consumer commits past the record only once its copy is safe. The copy keeps the original key, value and headers
 * (a replay sends exactly the event that failed) and adds {@link DeadLetterHeaders}: why, where it was consumed from,
 * and which service and channel failed. Sent on the service's one producer, the outbox channel.
 */
@ApplicationScoped
public class DeadLetterWriter {

    /** A poison record and what is known about its failure. */
    public record Poison(String service, String channel, ConsumerRecord<String, String> record, String kind,
                         String reason, Throwable failure, int attempts) {
    }

    private static final int MAX_TEXT = 4000;

    private final MutinyEmitter<String> emitter;
    private final Duration sendTimeout;

    public DeadLetterWriter(@Channel(OutboxPublisher.CHANNEL) MutinyEmitter<String> emitter,
                            @ConfigProperty(name = "tuneforge.outbox.send-timeout") Duration sendTimeout) {
        this.emitter = emitter;
        this.sendTimeout = sendTimeout;
    }

    /** Returns once the broker has the dead letter; throws if it could not be written (retry: it is the broker). */
    public void write(Poison poison) {
        ConsumerRecord<String, String> record = poison.record();
        RecordHeaders headers = new RecordHeaders();
        for (Header header : record.headers()) {
            if (!header.key().startsWith(DeadLetterHeaders.PREFIX)) {
                headers.add(header);
            }
        }
        add(headers, DeadLetterHeaders.REASON, cut(poison.reason()));
        add(headers, DeadLetterHeaders.KIND, poison.kind());
        add(headers, DeadLetterHeaders.EXCEPTION_CLASS, poison.failure().getClass().getName());
        Throwable root = rootCause(poison.failure());
        if (root != poison.failure()) {
            add(headers, DeadLetterHeaders.CAUSE_CLASS, root.getClass().getName());
            add(headers, DeadLetterHeaders.CAUSE, cut(String.valueOf(root.getMessage())));
        }
        add(headers, DeadLetterHeaders.TOPIC, record.topic());
        add(headers, DeadLetterHeaders.PARTITION, Integer.toString(record.partition()));
        add(headers, DeadLetterHeaders.OFFSET, Long.toString(record.offset()));
        add(headers, DeadLetterHeaders.SERVICE, poison.service());
        add(headers, DeadLetterHeaders.CHANNEL, poison.channel());
        add(headers, DeadLetterHeaders.ATTEMPTS, Integer.toString(poison.attempts()));
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withTopic(Topics.dlq(record.topic()))
                .withKey(record.key())
                .withHeaders(headers)
                .build();
        // A tombstone is never an event; its copy gets an empty value (the reason says what it was).
        String value = record.value() == null ? "" : record.value();
        emitter.sendMessage(Message.of(value).addMetadata(metadata)).await().atMost(sendTimeout);
    }

    /** Messages can be long (a driver's, a server's answer); a header needs the gist. */
    private static String cut(String text) {
        return text == null || text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT) + "…";
    }

    private static Throwable rootCause(Throwable failure) {
        Throwable root = failure;
        for (int depth = 0; root.getCause() != null && root.getCause() != root && depth < 50; depth++) {
            root = root.getCause();
        }
        return root;
    }

    private static void add(RecordHeaders headers, String name, String value) {
        headers.add(name, (value == null ? "" : value).getBytes(StandardCharsets.UTF_8));
    }
}
