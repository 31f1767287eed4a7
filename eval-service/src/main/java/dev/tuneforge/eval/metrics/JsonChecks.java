package dev.tuneforge.eval.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.SpecVersionDetector;
import com.networknt.schema.ValidationMessage;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Structured-output metrics. Validity is strict RFC 8259 JSON: exactly one value, no trailing
 * content, no comments, no {@code NaN}, no single quotes (Jackson's defaults plus
 * {@code FAIL_ON_TRAILING_TOKENS}). Conformance uses networknt {@code json-schema-validator}; the
 * draft is taken from the schema's {@code $schema} and defaults to 2020-12.
 */
public final class JsonChecks {

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    // A factory holds the meta-schemas of its draft; build each once.
    private static final Map<SpecVersion.VersionFlag, JsonSchemaFactory> FACTORIES = new ConcurrentHashMap<>();

    private JsonChecks() {
    }

    /** True if {@code text} (surrounding whitespace allowed) is exactly one JSON value. */
    public static boolean valid(String text) {
        return parse(text).isPresent();
    }

    /** The parsed value, or empty if {@code text} is not valid JSON. */
    public static Optional<JsonNode> parse(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(STRICT.readTree(text));
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    /** True if {@code text} is valid JSON and conforms to {@code schema}. */
    public static boolean conforms(String text, JsonNode schema) {
        return parse(text).map(node -> violations(node, schema).isEmpty()).orElse(false);
    }

    /** True if {@code text} is valid JSON and conforms to an already {@link #compile compiled} schema. */
    public static boolean conforms(String text, JsonSchema schema) {
        return parse(text).map(node -> schema.validate(node).isEmpty()).orElse(false);
    }

    /** Compiles a schema once, for scoring many outputs against it. */
    public static JsonSchema compile(JsonNode schema) {
        SpecVersion.VersionFlag version = SpecVersionDetector.detectOptionalVersion(schema, false)
                .orElse(SpecVersion.VersionFlag.V202012);
        return FACTORIES.computeIfAbsent(version, JsonSchemaFactory::getInstance).getSchema(schema);
    }

    /** Schema violations of an already parsed instance, as messages; empty if it conforms. */
    public static List<String> violations(JsonNode instance, JsonNode schema) {
        Set<ValidationMessage> messages = compile(schema).validate(instance);
        return messages.stream().map(ValidationMessage::getMessage).sorted().toList();
    }
}
