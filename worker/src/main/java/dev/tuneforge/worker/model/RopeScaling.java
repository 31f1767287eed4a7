package dev.tuneforge.worker.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/**
 * How rotary position frequencies are adjusted for context extension, as the {@code rope_type} of a
 * transformers config. A closed set: a type we do not implement is refused at load time, because
 * silently using default frequencies would produce a model that loads but answers wrongly.
 */
public sealed interface RopeScaling {

    Set<String> SUPPORTED = Set.of("default", "linear", "llama3");

    /** Plain RoPE: {@code inv_freq = 1 / theta^(2i/d)}. */
    record None() implements RopeScaling { }

    /** Positions divided by {@code factor}, i.e. every inverse frequency divided by it. */
    record Linear(double factor) implements RopeScaling { }

    /** Llama 3.1's smooth interpolation between low and high frequency bands. */
    record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings)
            implements RopeScaling { }

    /**
     * Reads a rope parameters object: transformers 5's {@code rope_parameters} or the older
     * {@code rope_scaling}, which spells the type {@code rope_type} or, older still, {@code type}.
     */
    static RopeScaling parse(JsonNode params) {
        if (params == null || params.isNull() || params.isMissingNode()) {
            return new None();
        }
        String type = params.hasNonNull("rope_type") ? params.get("rope_type").asText()
                : params.hasNonNull("type") ? params.get("type").asText() : "default";
        return switch (type) {
            case "default" -> new None();
            case "linear" -> new Linear(required(params, "factor"));
            case "llama3" -> new Llama3(required(params, "factor"), required(params, "low_freq_factor"),
                    required(params, "high_freq_factor"),
                    (int) required(params, "original_max_position_embeddings"));
            default -> throw new ModelConfigException("rope type '" + type + "' is not supported; supported: "
                    + SUPPORTED.stream().sorted().toList());
        };
    }

    private static double required(JsonNode params, String field) {
        JsonNode v = params.get(field);
        if (v == null || !v.isNumber()) {
            throw new ModelConfigException("rope parameters lack numeric '" + field + "': " + params);
        }
        return v.asDouble();
    }
}
