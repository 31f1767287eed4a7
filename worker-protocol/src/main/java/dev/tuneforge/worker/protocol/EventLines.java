package dev.tuneforge.worker.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.util.Optional;

/**
 * The events' wire form: one JSON object per line. Reading is tolerant, so that a newer runtime never breaks an
 * older launcher: unknown fields are ignored, and a line that is not an event this version knows (another event
 * name, no {@code event}, not JSON, a field of the wrong type) is skipped, not an error. Writing omits null fields,
 * as {@code schemas/events.schema.json} expects of optional ones.
 */
public final class EventLines {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_INVALID_SUBTYPE)
            .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_USING_DEFAULT_VALUE);

    private EventLines() {
    }

    /** The event as one line of JSON, without the line break. */
    public static String write(WorkerEvent event) {
        try {
            return JSON.writerFor(WorkerEvent.class).writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + event, e);
        }
    }

    /** The event on {@code line}, or empty for a line that is not one this version knows. */
    public static Optional<WorkerEvent> parse(String line) {
        if (line == null || !line.stripLeading().startsWith("{")) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(JSON.readValue(line, WorkerEvent.class));
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }
}
