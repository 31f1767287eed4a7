package dev.tuneforge.eval.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.SpecVersionDetector;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.resource.SchemaLoader;
import dev.tuneforge.drift.OutputValidity;
import dev.tuneforge.kit.schema.SelfContainedSchema;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Structured-output metrics. Validity is the platform's one strict rule, the drift module's
 * {@link OutputValidity#parseJson} (RFC 8259: exactly one value, no trailing content, no comments, no {@code NaN}, no
 * single quotes), so the {@code json_valid} metric and drift's output validity judge a completion alike. Conformance uses networknt {@code json-schema-validator}; the
 * draft is taken from the schema's {@code $schema} and defaults to 2020-12.
 *
 * <p>A schema comes from a user's gate, so it is compiled only if it is self-contained
 * ({@link SelfContainedSchema}), and then by a factory whose schema loader loads nothing: the validator's own
 * loaders would fetch any {@code http(s):} URI and open any {@code file:} one a reference, {@code $schema} or
 * {@code id} leads them to. The drafts' meta-schemas are built into the validator's code, so nothing legitimate is
 * lost.
 */
public final class JsonChecks {

    // A factory holds the meta-schemas of its draft; build each once.
    private static final Map<SpecVersion.VersionFlag, JsonSchemaFactory> FACTORIES = new ConcurrentHashMap<>();

    /** The loader of every factory here: whatever a schema refers to outside itself is refused, never loaded. */
    private static final SchemaLoader LOADS_NOTHING = iri -> {
        throw new SchemaRefused("the schema refers to '" + iri + "', which is not loaded: only references within it"
                + " (#/...) are allowed");
    };

    /** Every pattern of a user's schema matches within a time budget ({@link BoundedRegularExpressions}). */
    private static final SchemaValidatorsConfig BOUNDED_PATTERNS = SchemaValidatorsConfig.builder()
            .regularExpressionFactory(BoundedRegularExpressions.INSTANCE).build();

    /** A schema that reaches outside itself; its message says where to. */
    public static final class SchemaRefused extends IllegalArgumentException {
        SchemaRefused(String message) {
            super(message);
        }
    }

    private JsonChecks() {
    }

    /** True if {@code text} (surrounding whitespace allowed) is exactly one JSON value. */
    public static boolean valid(String text) {
        return OutputValidity.isJson(text);
    }

    /** The parsed value, or empty if {@code text} is not valid JSON. */
    public static Optional<JsonNode> parse(String text) {
        return OutputValidity.parseJson(text);
    }

    /** True if {@code text} is valid JSON and conforms to {@code schema}. */
    public static boolean conforms(String text, JsonNode schema) {
        return conforms(text, compile(schema));
    }

    /**
     * True if {@code text} is valid JSON and conforms to an already {@link #compile compiled} schema; an output on
     * which one of the schema's patterns takes longer than its budget to match does not conform.
     */
    public static boolean conforms(String text, JsonSchema schema) {
        return parse(text).map(node -> {
            try {
                return refusalFirst(() -> schema.validate(node)).isEmpty();
            } catch (RuntimeException e) {
                if (tooSlow(e)) {
                    return false;
                }
                throw e;
            }
        }).orElse(false);
    }

    private static boolean tooSlow(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof BoundedRegularExpressions.TooSlow) {
                return true;
            }
        }
        return false;
    }

    /**
     * Compiles a schema once, for scoring many outputs against it.
     *
     * @throws SchemaRefused when it is not self-contained, naming every reason
     */
    public static JsonSchema compile(JsonNode schema) {
        List<String> problems = SelfContainedSchema.problems(schema);
        if (!problems.isEmpty()) {
            throw new SchemaRefused(String.join("; ", problems));
        }
        return compileWithoutLoading(schema);
    }

    /** Compiles with the loader that loads nothing: what {@link #compile} does after its check. */
    static JsonSchema compileWithoutLoading(JsonNode schema) {
        SpecVersion.VersionFlag version = SpecVersionDetector.detectOptionalVersion(schema, false)
                .orElse(SpecVersion.VersionFlag.V202012);
        JsonSchemaFactory factory = FACTORIES.computeIfAbsent(version, v -> JsonSchemaFactory.builder(
                JsonSchemaFactory.getInstance(v)).schemaLoaders(loaders -> loaders.add(LOADS_NOTHING)).build());
        return refusalFirst(() -> factory.getSchema(schema, BOUNDED_PATTERNS));
    }

    /**
     * Runs {@code step}; a {@link SchemaRefused} the validator wrapped (it does for {@code $schema}) comes out as
     * itself, so callers can tell a refused schema from a broken one.
     */
    private static <T> T refusalFirst(Supplier<T> step) {
        try {
            return step.get();
        } catch (RuntimeException e) {
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof SchemaRefused refused) {
                    throw refused;
                }
            }
            throw e;
        }
    }

    /** Schema violations of an already parsed instance, as messages; empty if it conforms. */
    public static List<String> violations(JsonNode instance, JsonNode schema) {
        JsonSchema compiled = compile(schema);
        Set<ValidationMessage> messages = refusalFirst(() -> compiled.validate(instance));
        return messages.stream().map(ValidationMessage::getMessage).sorted().toList();
    }
}
