package dev.tuneforge.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.util.Optional;

/**
 * JSON serde of event data. Tolerant reader: unknown fields (added by a newer producer) are ignored
 * and absent fields read as null, which is what "add optional fields only" relies on.
 */
public final class EventCodec {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    private EventCodec() {
    }

    public static String toJson(TuneforgeEvent event) {
        try {
            return MAPPER.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise " + event.getClass().getSimpleName(), e);
        }
    }

    /**
     * Reads event data of the given CloudEvents type.
     *
     * @return empty when the type is unknown to this build (skip it, do not fail)
     * @throws MalformedEventException when the type is known but the data is not valid JSON of its record
     */
    public static Optional<TuneforgeEvent> fromJson(String typeName, String json) {
        Optional<EventType> type = EventType.byName(typeName);
        if (type.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(read(type.get(), json));
    }

    public static TuneforgeEvent read(EventType type, String json) {
        if (json == null || json.isBlank()) {
            throw new MalformedEventException("event " + type.typeName() + " has no data");
        }
        try {
            TuneforgeEvent event = MAPPER.readValue(json, type.recordClass());
            if (event.projectId() == null || event.aggregateId() == null) {
                throw new MalformedEventException("event " + type.typeName() + " lacks projectId or its aggregate id");
            }
            return event;
        } catch (JsonProcessingException e) {
            throw new MalformedEventException("event " + type.typeName() + " is not valid JSON of "
                    + type.recordClass().getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    /** The shared mapper, configured as above, for code that reads event-shaped JSON. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
