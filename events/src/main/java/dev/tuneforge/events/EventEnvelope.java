package dev.tuneforge.events;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * An event with its CloudEvents attributes. {@code id} is the idempotency key consumers dedupe on;
 * {@code subject} is the aggregate id and the Kafka key.
 */
public record EventEnvelope(
        UUID id,
        EventType type,
        String source,
        String subject,
        OffsetDateTime time,
        TuneforgeEvent data) {

    public static EventEnvelope wrap(TuneforgeEvent data, String source) {
        return new EventEnvelope(UUID.randomUUID(), EventType.of(data), source, data.aggregateId(),
                OffsetDateTime.now(ZoneOffset.UTC), data);
    }

    public String topic() {
        return type.topic();
    }
}
