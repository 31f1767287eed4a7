package dev.tuneforge.kit.messaging;

import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.MalformedEventException;
import dev.tuneforge.events.TuneforgeEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.UUID;

/** Reads a CloudEvents binary-mode Kafka record back into an {@link EventEnvelope}. */
public final class IncomingEvents {

    private IncomingEvents() {
    }

    /**
     * @return empty for a well-formed event of a type this build does not know (skip it)
     * @throws MalformedEventException for a record that can never be processed (dead-letter it)
     */
    public static Optional<EventEnvelope> parse(ConsumerRecord<String, String> record) {
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        String type = required(record, CloudEventHeaders.TYPE, where);
        Optional<EventType> eventType = EventType.byName(type);
        if (eventType.isEmpty()) {
            return Optional.empty();
        }
        UUID id;
        try {
            id = UUID.fromString(required(record, CloudEventHeaders.ID, where));
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("record " + where + ": ce_id is not a UUID");
        }
        OffsetDateTime time = null;
        String timeHeader = header(record, CloudEventHeaders.TIME);
        if (timeHeader != null) {
            try {
                time = OffsetDateTime.parse(timeHeader);
            } catch (DateTimeParseException e) {
                throw new MalformedEventException("record " + where + ": ce_time is not RFC 3339: " + timeHeader);
            }
        }
        TuneforgeEvent data;
        try {
            data = EventCodec.read(eventType.get(), record.value());
        } catch (MalformedEventException e) {
            throw new MalformedEventException("record " + where + ": " + e.getMessage(), e);
        }
        return Optional.of(new EventEnvelope(id, eventType.get(), header(record, CloudEventHeaders.SOURCE),
                header(record, CloudEventHeaders.SUBJECT), time, data));
    }

    private static String required(ConsumerRecord<String, String> record, String name, String where) {
        String value = header(record, name);
        if (value == null || value.isBlank()) {
            throw new MalformedEventException("record " + where + " has no " + name + " header");
        }
        return value;
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
