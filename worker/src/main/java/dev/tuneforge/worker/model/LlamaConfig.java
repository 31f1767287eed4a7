package dev.tuneforge.worker.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The architecture of a Llama-family decoder as read from a Hugging Face {@code config.json}. Defaults
 * follow transformers' {@code LlamaConfig}, so a config that omits a field means what it means there.
 *
 * @param attentionBias q/k/v/o projections have a bias ({@code attention_bias}); Qwen2 always has q/k/v
 *                      biases, which the loader takes from the weights whatever this says
 * @param mlpBias       gate/up/down projections have a bias
 * @param dtype         the dtype the checkpoint was saved in; informative only, we compute in float32
 */
public record LlamaConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean mlpBias,
        String hiddenAct,
        String dtype) {

    public static final String FILE_NAME = "config.json";
    /** Decoders whose weights and forward pass are the Llama ones under other names. */
    public static final Set<String> SUPPORTED_MODEL_TYPES = Set.of("llama", "mistral", "qwen2");

    public LlamaConfig {
        require(hiddenSize > 0 && numAttentionHeads > 0 && numHiddenLayers > 0 && vocabSize > 0
                && intermediateSize > 0, "sizes must be positive");
        require(numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0,
                "num_attention_heads (" + numAttentionHeads + ") must be a multiple of num_key_value_heads ("
                        + numKeyValueHeads + ")");
        require(headDim > 0 && headDim % 2 == 0, "head_dim must be positive and even, got " + headDim);
        require(hiddenAct.equals("silu"), "hidden_act '" + hiddenAct + "' is not supported; only silu");
    }

    public static LlamaConfig load(Path modelDir) {
        Path file = modelDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new ModelConfigException(modelDir + " has no " + FILE_NAME);
        }
        try {
            return parse(new ObjectMapper().readTree(file.toFile()));
        } catch (IOException e) {
            throw new ModelConfigException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (ModelConfigException e) {
            throw new ModelConfigException(file + ": " + e.getMessage(), e);
        }
    }

    public static LlamaConfig parse(JsonNode json) {
        String modelType = json.path("model_type").asText("llama");
        require(SUPPORTED_MODEL_TYPES.contains(modelType), "model_type '" + modelType
                + "' is not supported; supported: " + SUPPORTED_MODEL_TYPES.stream().sorted().toList());
        int hidden = requiredInt(json, "hidden_size");
        int heads = requiredInt(json, "num_attention_heads");
        // transformers 5 nests rope_theta inside rope_parameters; older configs keep it top-level
        // next to an optional rope_scaling.
        JsonNode ropeParams = json.hasNonNull("rope_parameters") ? json.get("rope_parameters")
                : json.get("rope_scaling");
        if (ropeParams != null && ropeParams.isObject() && !ropeParams.has("rope_type") && !ropeParams.has("type")
                && !ropeParams.has("rope_theta") && ropeParams.size() > 0
                && ropeParams.elements().next().isObject()) {
            throw new ModelConfigException("per-layer-type rope_parameters are not supported: " + ropeParams);
        }
        double theta = ropeParams != null && ropeParams.hasNonNull("rope_theta")
                ? ropeParams.get("rope_theta").asDouble()
                : json.path("rope_theta").asDouble(10000.0);
        return new LlamaConfig(
                modelType,
                requiredInt(json, "vocab_size"),
                hidden,
                requiredInt(json, "intermediate_size"),
                requiredInt(json, "num_hidden_layers"),
                heads,
                json.path("num_key_value_heads").isNumber() ? json.get("num_key_value_heads").asInt() : heads,
                json.path("head_dim").isNumber() ? json.get("head_dim").asInt() : hidden / heads,
                json.path("rms_norm_eps").asDouble(1e-6),
                theta,
                RopeScaling.parse(ropeParams),
                json.path("max_position_embeddings").asInt(2048),
                json.path("tie_word_embeddings").asBoolean(false),
                json.path("attention_bias").asBoolean(false),
                json.path("mlp_bias").asBoolean(false),
                json.path("hidden_act").asText("silu"),
                json.hasNonNull("dtype") ? json.get("dtype").asText() : json.path("torch_dtype").asText("float32"));
    }

    /** Query heads that share one key/value head. */
    public int queriesPerKeyValue() {
        return numAttentionHeads / numKeyValueHeads;
    }

    private static int requiredInt(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || !v.canConvertToInt()) {
            throw new ModelConfigException("missing integer '" + field + "'");
        }
        return v.asInt();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new ModelConfigException(message);
        }
    }
}
