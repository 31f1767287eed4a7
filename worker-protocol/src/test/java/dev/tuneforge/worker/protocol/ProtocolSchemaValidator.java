package dev.tuneforge.worker.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * Checks JSON against the protocol's schemas ({@link ProtocolSchemas}), for tests: this module's, and through its
 * test jar the worker's, whose emitted events must all be valid lines. Each schema is loaded once.
 */
public final class ProtocolSchemaValidator {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<ProtocolSchemas, JsonSchema> LOADED = new EnumMap<>(ProtocolSchemas.class);

    private ProtocolSchemaValidator() {
    }

    public static synchronized JsonSchema schema(ProtocolSchemas which) {
        return LOADED.computeIfAbsent(which, w -> {
            try (InputStream in = w.open()) {
                return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** What is wrong with {@code json}, per the schema; empty when it is valid. */
    public static Set<ValidationMessage> problems(ProtocolSchemas which, JsonNode json) {
        return schema(which).validate(json);
    }

    /**
     * The event on {@code line}, which must be valid against {@code events.schema.json} and read as an event.
     *
     * @throws AssertionError naming the schema's complaints, or saying the codec skipped the line
     */
    public static WorkerEvent validEvent(String line) {
        JsonNode json;
        try {
            json = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
        Set<ValidationMessage> problems = problems(ProtocolSchemas.EVENTS, json);
        if (!problems.isEmpty()) {
            throw new AssertionError("not a valid event line per events.schema.json: " + line + ": " + problems);
        }
        return EventLines.parse(line).orElseThrow(() -> new AssertionError("the codec skipped " + line));
    }
}
