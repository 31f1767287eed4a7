package dev.tuneforge.worker.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.protocol.TrainSpec;
import dev.tuneforge.worker.safetensors.SafetensorsReader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A soft prompt (prompt tuning, Lester et al., 2021) attached to a model: {@code num_virtual_tokens} embeddings
 * {@code [n, hidden]} that {@link LlamaModel#setVirtualTokens} puts before every sequence, and their PEFT
 * {@code PROMPT_TUNING} form on disk: {@code adapter_config.json} with the fields PEFT 0.21 writes for a
 * {@code PromptTuningConfig}, and {@code adapter_model.safetensors} holding one float32 tensor,
 * {@code prompt_embeddings}, as {@code get_peft_model_state_dict} names it.
 */
public final class SoftPrompt implements Adapter {

    public static final String PEFT_TYPE = "PROMPT_TUNING";
    public static final String TENSOR = "prompt_embeddings";

    private final LlamaModel model;
    private final NDArray embeddings;
    private final TrainSpec.PromptTuning spec;

    private SoftPrompt(LlamaModel model, NDArray embeddings, TrainSpec.PromptTuning spec) {
        this.model = model;
        this.embeddings = embeddings;
        this.spec = spec;
        NDArray previous = model.setVirtualTokens(embeddings);
        if (previous != null) {
            previous.close();
        }
    }

    /**
     * A fresh soft prompt, started as PEFT's {@code PromptEmbedding} starts one: {@code random}, standard normal as
     * {@code nn.Embedding} is (drawn from {@code seed}); {@code text}, the input embeddings of
     * {@code tokenizer(init_text)["input_ids"]} (special tokens as the tokenizer adds them), repeated and cut to
     * {@code num_virtual_tokens}.
     */
    public static SoftPrompt attach(LlamaModel model, TrainSpec.PromptTuning spec, HfTokenizer tokenizer, long seed) {
        int n = spec.numVirtualTokens();
        long hidden = model.config().hiddenSize();
        NDArray embeddings = switch (spec.init()) {
            case RANDOM -> {
                SplittableRandom random = new SplittableRandom(seed);
                float[] values = new float[Math.toIntExact(n * hidden)];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) random.nextGaussian();
                }
                yield model.manager().create(values, new Shape(n, hidden)).toType(model.dataType(), false);
            }
            case TEXT -> {
                long[] ids = initTokens(tokenizer.encode(spec.initText()), n);
                float[] rows;
                try (NDManager scratch = model.manager().newSubManager()) {
                    rows = model.embedTokens().get(new NDIndex("{}", scratch.create(ids)))
                            .toType(DataType.FLOAT32, false).toFloatArray();
                }
                yield model.manager().create(rows, new Shape(n, hidden)).toType(model.dataType(), false);
            }
        };
        embeddings.setRequiresGradient(true);
        return new SoftPrompt(model, embeddings, spec);
    }

    /** The text's ids repeated and cut to {@code n}, as PEFT does. */
    static long[] initTokens(long[] textIds, int n) {
        if (textIds.length == 0) {
            throw new IllegalArgumentException("method.init_text: tokenises to no tokens");
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = textIds[i % textIds.length];
        }
        return out;
    }

    /** Reads a PEFT {@code PROMPT_TUNING} adapter directory and attaches it to {@code model}. */
    public static SoftPrompt load(LlamaModel model, Path dir) {
        JsonNode config = AdapterFiles.readConfig(dir, PEFT_TYPE);
        if (config.path("num_transformer_submodules").asInt(1) != 1) {
            throw new IllegalArgumentException(dir + ": num_transformer_submodules "
                    + config.path("num_transformer_submodules") + "; a decoder-only model has 1");
        }
        int n = config.path("num_virtual_tokens").asInt();
        long hidden = model.config().hiddenSize();
        try (SafetensorsReader weights = SafetensorsReader.open(dir.resolve(AdapterFiles.WEIGHTS_FILE))) {
            if (!weights.contains(TENSOR)) {
                throw new IllegalArgumentException("the adapter lacks " + TENSOR);
            }
            long[] shape = weights.info(TENSOR).shape();
            if (shape.length != 2 || shape[0] != n || shape[1] != hidden) {
                throw new IllegalArgumentException(TENSOR + " has shape " + Arrays.toString(shape) + ", expected ["
                        + n + ", " + hidden + "]");
            }
            NDArray embeddings = model.manager().create(weights.floats(TENSOR), new Shape(n, hidden))
                    .toType(model.dataType(), false);
            String init = config.path("prompt_tuning_init").asText("RANDOM");
            TrainSpec.PromptTuning spec = new TrainSpec.PromptTuning(n,
                    "TEXT".equals(init) ? TrainSpec.PromptInit.TEXT : TrainSpec.PromptInit.RANDOM,
                    config.path("prompt_tuning_init_text").isTextual()
                            ? config.path("prompt_tuning_init_text").asText() : null);
            return new SoftPrompt(model, embeddings, spec);
        }
    }

    /** The trained tensor under its PEFT name. */
    @Override
    public Map<String, NDArray> parameters() {
        return Map.of(TENSOR, embeddings);
    }

    @Override
    public void save(Path dir, String baseModelNameOrPath) {
        boolean text = spec.init() == TrainSpec.PromptInit.TEXT;
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("task_type", "CAUSAL_LM");
        c.put("peft_type", PEFT_TYPE);
        c.putNull("auto_mapping");
        c.put("base_model_name_or_path", baseModelNameOrPath);
        c.putNull("revision");
        c.put("inference_mode", true);
        c.put("num_virtual_tokens", spec.numVirtualTokens());
        c.put("token_dim", model.config().hiddenSize());
        c.put("num_transformer_submodules", 1);
        c.put("num_attention_heads", model.config().numAttentionHeads());
        c.put("num_layers", model.config().numHiddenLayers());
        c.putNull("modules_to_save");
        c.put("prompt_tuning_init", text ? "TEXT" : "RANDOM");
        if (text) {
            c.put("prompt_tuning_init_text", spec.initText());
            c.put("tokenizer_name_or_path", baseModelNameOrPath);
        } else {
            c.putNull("prompt_tuning_init_text");
            c.putNull("tokenizer_name_or_path");
        }
        c.putNull("tokenizer_kwargs");
        AdapterFiles.write(dir, c, parameters());
    }

    /** No dropout: the virtual tokens are the input. */
    @Override
    public void setTraining(boolean training) {
    }

    public TrainSpec.PromptTuning spec() {
        return spec;
    }

    /** Detaches the soft prompt from the model and frees it. */
    @Override
    public void close() {
        NDArray attached = model.setVirtualTokens(null);
        if (attached != null) {
            attached.close();
        }
    }
}
