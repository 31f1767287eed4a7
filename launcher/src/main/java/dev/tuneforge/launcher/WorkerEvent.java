package dev.tuneforge.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One line of a worker's stdout (docs/WORKER_PROTOCOL.md, "Events"): its {@code event} name and the whole
 * object. Kept as JSON so that fields a newer runtime adds pass through untouched.
 */
public record WorkerEvent(String name, JsonNode body) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Null for a line that is not a protocol event (a runtime must not print those, but one might). */
    public static WorkerEvent parse(String line) {
        if (line == null || !line.startsWith("{")) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(line);
            JsonNode name = node.get("event");
            return name == null || !name.isTextual() ? null : new WorkerEvent(name.asText(), node);
        } catch (Exception e) {
            return null;
        }
    }

    public long longField(String field, long fallback) {
        JsonNode v = body.get(field);
        return v == null || !v.isNumber() ? fallback : v.asLong();
    }

    public Double doubleField(String field) {
        JsonNode v = body.get(field);
        return v == null || !v.isNumber() ? null : v.asDouble();
    }

    public String text(String field) {
        JsonNode v = body.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
