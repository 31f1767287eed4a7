package dev.tuneforge.drift;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Whether a completion is a valid output for its pipeline: exactly one JSON value, and, when the pipeline's gate has
 * a schema, that the value passes it (a predicate, so this module needs no schema library; eval-service passes its
 * validator). The validity rate of a window is compared with the reference's by {@link TwoProportionTest}.
 *
 * <p>{@link #parseJson} is the platform's one rule of JSON validity, used by eval-service's {@code JsonChecks}
 * (the {@code json_valid} metric), the gateway's observation lines ({@code completion_json_valid}) and the windows
 * here, so that a completion is judged alike wherever it is judged: strict RFC 8259 — exactly one value, surrounding
 * whitespace allowed, nothing after it, no comments, no {@code NaN}, no single quotes (Jackson's defaults plus
 * {@code FAIL_ON_TRAILING_TOKENS}); null or blank text is not JSON.
 */
public final class OutputValidity {

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Optional<Predicate<JsonNode>> schema;

    /** JSON validity only. */
    public OutputValidity() {
        this.schema = Optional.empty();
    }

    /** JSON validity and the gate's schema. */
    public OutputValidity(Predicate<JsonNode> schema) {
        this.schema = Optional.of(schema);
    }

    public boolean isValid(String completion) {
        return parseJson(completion).map(value -> schema.map(s -> s.test(value)).orElse(true)).orElse(false);
    }

    /** True if {@code text} is exactly one JSON value, by the strict rule above. */
    public static boolean isJson(String text) {
        return parseJson(text).isPresent();
    }

    /** The one JSON value {@code text} is, by the strict rule above; empty if it is not valid JSON. */
    public static Optional<JsonNode> parseJson(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(STRICT.readTree(text));
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }
}
