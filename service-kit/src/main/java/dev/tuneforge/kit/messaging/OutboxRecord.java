package dev.tuneforge.kit.messaging;

import java.time.Instant;
import java.util.UUID;

/** A row of {@code tf_outbox}: one event, ready to be sent as a CloudEvents binary-mode Kafka record. */
public record OutboxRecord(
        long seq,
        UUID eventId,
        String topic,
        String key,
        String type,
        String source,
        String subject,
        Instant time,
        String payload) {
}
