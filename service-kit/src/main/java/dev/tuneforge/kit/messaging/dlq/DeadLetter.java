package dev.tuneforge.kit.messaging.dlq;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.kit.messaging.DeadLetterHeaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One record on a dead-letter topic, as an operator needs to see it: which consumer failed (service and channel),
 * why, where the record came from, which event it is, and whether it was replayed. {@code value} and
 * {@code headers} only when one dead letter is shown.
 *
 * @param topic     the topic it was consumed from (where a replay sends it), with {@code partition} and {@code offset}
 * @param replay    null until it is replayed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeadLetter(String id, Instant deadLetteredAt, String service, String channel, String topic,
                         Integer partition, Long offset, String key, String kind, String reason,
                         String exceptionClass, String causeClass, String cause, Integer attempts, String eventId,
                         String eventType, Replay replay, String value, Map<String, String> headers) {

    /** Who replayed it, when, and where the copy went ({@code <topic>-<partition>@<offset>}). */
    public record Replay(String replayedTo, Instant replayedAt, String replayedBy) {
    }

    static DeadLetter of(ConsumerRecord<String, String> record, Replay replay, boolean withContent) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header header : record.headers()) {
            headers.put(header.key(), header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8));
        }
        return new DeadLetter(new DeadLetterId(record.topic(), record.partition(), record.offset()).toString(),
                Instant.ofEpochMilli(record.timestamp()), headers.get(DeadLetterHeaders.SERVICE),
                headers.get(DeadLetterHeaders.CHANNEL), headers.get(DeadLetterHeaders.TOPIC),
                integer(headers.get(DeadLetterHeaders.PARTITION)), number(headers.get(DeadLetterHeaders.OFFSET)),
                record.key(), headers.get(DeadLetterHeaders.KIND), headers.get(DeadLetterHeaders.REASON),
                headers.get(DeadLetterHeaders.EXCEPTION_CLASS), headers.get(DeadLetterHeaders.CAUSE_CLASS),
                headers.get(DeadLetterHeaders.CAUSE), integer(headers.get(DeadLetterHeaders.ATTEMPTS)),
                headers.get(CloudEventHeaders.ID), headers.get(CloudEventHeaders.TYPE), replay,
                withContent ? record.value() : null, withContent ? headers : null);
    }

    private static Integer integer(String text) {
        Long value = number(text);
        return value == null ? null : value.intValue();
    }

    private static Long number(String text) {
        try {
            return text == null ? null : Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
