package dev.tuneforge.drift;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Whether a completion is a valid output for its pipeline: exactly one JSON value (Jackson, strict: nothing but
 * whitespace after it), and, when the pipeline's gate has a schema, that the value passes it (a predicate, so this
 * module needs no schema library; eval-service passes its validator). The validity rate of a window is compared
 * with the reference's by {@link TwoProportionTest}.
 */
public final class OutputValidity {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

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
        JsonNode value;
        try {
            value = JSON.readTree(completion);
        } catch (JsonProcessingException e) {
            return false;
        }
        if (value == null || value.isMissingNode()) {
            return false;
        }
        return schema.map(s -> s.test(value)).orElse(true);
    }
}
