package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tuneforge.worker.safetensors.SafetensorsCheckpoint;
import dev.tuneforge.worker.safetensors.TensorSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Llama-family causal language model ({@code LlamaForCausalLM} and the decoders that share its
 * layout) written with DJL NDArray operations on the PyTorch engine, so the same forward pass serves
 * inference and, with gradients recorded, training.
 */
public final class LlamaModel implements AutoCloseable {

    private final LlamaConfig config;
    private final NDManager manager;
    private final NDArray embedTokens;
    private final List<DecoderLayer> layers;
    private final RmsNorm norm;
    private final Linear lmHead;
    private final Rope rope;
    /** A soft prompt {@code [n, hidden]} put before every sequence's embeddings, or null. */
    private NDArray virtualTokens;

    private LlamaModel(LlamaConfig config, NDManager manager, NDArray embedTokens, List<DecoderLayer> layers,
                       RmsNorm norm, Linear lmHead, Rope rope) {
        this.config = config;
        this.manager = manager;
        this.embedTokens = embedTokens;
        this.layers = layers;
        this.norm = norm;
        this.lmHead = lmHead;
        this.rope = rope;
    }

    /** Loads a Hugging Face model directory ({@code config.json} and safetensors weights). */
    public static LlamaModel load(Path modelDir, NDManager parent) {
        return load(modelDir, parent, DataType.FLOAT32);
    }

    /** Loads a model directory computing in {@code dtype} (float32, or float64 for gradient checks). */
    public static LlamaModel load(Path modelDir, NDManager parent, DataType dtype) {
        LlamaConfig config = LlamaConfig.load(modelDir);
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(modelDir)) {
            return fromWeights(config, weights, parent, dtype);
        }
    }

    /** Builds the model from named tensors in Hugging Face naming; the source may be closed afterwards. */
    public static LlamaModel fromWeights(LlamaConfig config, TensorSource weights, NDManager parent) {
        return fromWeights(config, weights, parent, DataType.FLOAT32);
    }

    public static LlamaModel fromWeights(LlamaConfig config, TensorSource weights, NDManager parent,
                                         DataType dtype) {
        NDManager manager = parent.newSubManager();
        try {
            WeightLoader w = new WeightLoader(weights, manager, dtype);
            long hidden = config.hiddenSize();
            long vocab = config.vocabSize();
            NDArray embed = w.required("model.embed_tokens.weight", vocab, hidden);
            List<DecoderLayer> layers = new ArrayList<>();
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                layers.add(loadLayer(config, w, "model.layers." + i + "."));
            }
            RmsNorm norm = new RmsNorm(w.required("model.norm.weight", hidden), config.rmsNormEps());
            // Tied models reuse the embedding matrix as the output projection; transformers ignores a
            // stored lm_head.weight in that case, and so do we.
            Linear lmHead = config.tieWordEmbeddings()
                    ? new Linear("lm_head", embed, null, false)
                    : new Linear("lm_head", w.required("lm_head.weight", vocab, hidden), null, true);
            return new LlamaModel(config, manager, embed, Collections.unmodifiableList(layers), norm, lmHead,
                    new Rope(manager, config));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static DecoderLayer loadLayer(LlamaConfig c, WeightLoader w, String prefix) {
        long hidden = c.hiddenSize();
        long qOut = (long) c.numAttentionHeads() * c.headDim();
        long kvOut = (long) c.numKeyValueHeads() * c.headDim();
        String attn = prefix + "self_attn.";
        String mlp = prefix + "mlp.";
        // Qwen2 carries q/k/v biases without saying so in config.json, so a bias present in the
        // checkpoint is always used; attention_bias / mlp_bias make one required.
        Attention attention = new Attention(c,
                linear(w, attn + "q_proj", qOut, hidden, c.attentionBias()),
                linear(w, attn + "k_proj", kvOut, hidden, c.attentionBias()),
                linear(w, attn + "v_proj", kvOut, hidden, c.attentionBias()),
                linear(w, attn + "o_proj", hidden, qOut, c.attentionBias()));
        long inter = c.intermediateSize();
        Mlp feedForward = new Mlp(
                linear(w, mlp + "gate_proj", inter, hidden, c.mlpBias()),
                linear(w, mlp + "up_proj", inter, hidden, c.mlpBias()),
                linear(w, mlp + "down_proj", hidden, inter, c.mlpBias()));
        return new DecoderLayer(
                new RmsNorm(w.required(prefix + "input_layernorm.weight", hidden), c.rmsNormEps()),
                attention,
                new RmsNorm(w.required(prefix + "post_attention_layernorm.weight", hidden), c.rmsNormEps()),
                feedForward);
    }

    private static Linear linear(WeightLoader w, String name, long out, long in, boolean biasRequired) {
        NDArray weight = w.required(name + ".weight", out, in);
        NDArray bias = biasRequired ? w.required(name + ".bias", out) : w.optional(name + ".bias", out);
        return new Linear(name, weight, bias, true);
    }

    /** Logits {@code [B, T, vocab]} for token ids {@code [B, T]}, causal, positions 0..T-1. */
    public NDArray forward(NDArray inputIds) {
        return forward(inputIds, null, AttentionMask.causal());
    }

    /**
     * Logits {@code [B, T, vocab]}, owned by the input's manager. Intermediate arrays are closed before
     * returning; with gradients recorded, libtorch's graph keeps what backward needs.
     *
     * @param inputIds    token ids {@code [B, T]}, int64 (other integer types are converted)
     * @param positionIds positions {@code [B, T]} for RoPE, or null for {@code 0..T-1} in every row
     * @param mask        which keys each query sees
     */
    public NDArray forward(NDArray inputIds, NDArray positionIds, AttentionMask mask) {
        long length = checkIds(inputIds).get(1);
        try (NDScope scope = new NDScope()) {
            NDArray positions = positionIds != null ? positionIds
                    : manager.arange(0, Math.toIntExact(length), 1, DataType.INT64).expandDims(0);
            if (virtualTokens == null) {
                return run(inputIds, positions, mask.bias(manager, length), null, false);
            }
            long n = virtualTokenCount();
            return run(inputIds, afterVirtualTokens(positions),
                    AttentionMask.afterVirtualTokens(n, mask).bias(manager, n + length), null, true);
        }
    }

    /** An empty key/value cache for {@link #forward(NDArray, NDArray, NDArray, KvCache)}; close it when done. */
    public KvCache newCache() {
        return new KvCache(manager, layers.size());
    }

    /**
     * Logits {@code [B, T, vocab]} for {@code T} new tokens that continue the sequences in {@code cache}
     * (empty for the prompt), whose keys and values are appended to it. Equal, within float rounding, to
     * the last {@code T} columns of {@link #forward(NDArray, NDArray, AttentionMask)} over the whole
     * sequence with {@link AttentionMask#padding} — the point of the cache is to not recompute the rest.
     *
     * @param inputIds    new token ids {@code [B, T]}
     * @param positionIds their positions {@code [B, T]}: each row counts from its own first real token,
     *                    so left padding does not shift RoPE
     * @param keep        {@code [B, T]}: 1 for real tokens, 0 for padding, which no later query sees
     */
    public NDArray forward(NDArray inputIds, NDArray positionIds, NDArray keep, KvCache cache) {
        long length = checkIds(inputIds).get(1);
        try (NDScope scope = new NDScope()) {
            NDArray newKeep = keep.toType(DataType.INT64, false);
            NDArray positions = positionIds;
            // The soft prompt goes into the prefill, before the prompts (and their left padding), as PEFT's
            // generate does; every later position is shifted past it.
            boolean prefill = virtualTokens != null && cache.length() == 0;
            if (virtualTokens != null) {
                long batch = inputIds.getShape().get(0);
                positions = prefill ? afterVirtualTokens(positionIds) : positionIds.add(virtualTokenCount());
                if (prefill) {
                    newKeep = manager.ones(new Shape(batch, virtualTokenCount()), DataType.INT64).concat(newKeep, 1);
                }
            }
            NDArray allKeep = cache.appendKeep(newKeep);
            long queries = newKeep.getShape().get(1);
            return run(inputIds, positions, AttentionMask.cachedPadding(manager, allKeep, queries), cache, prefill);
        }
    }

    /**
     * Puts {@code prompt} ({@code [n, hidden]}) before the embeddings of every sequence from now on, as PEFT's
     * prompt tuning does: the virtual tokens take positions {@code 0..n-1}, every real token sees them, and the
     * real tokens' positions (and logits, which stay {@code [B, T, vocab]}) follow them. Null removes it.
     *
     * @return the soft prompt this one replaces, or null
     */
    public NDArray setVirtualTokens(NDArray prompt) {
        if (prompt != null && (prompt.getShape().dimension() != 2 || prompt.getShape().get(1) != config.hiddenSize())) {
            throw new IllegalArgumentException("a soft prompt must be [n, " + config.hiddenSize() + "], got "
                    + prompt.getShape());
        }
        NDArray previous = virtualTokens;
        virtualTokens = prompt;
        return previous;
    }

    /** How many virtual tokens come before every sequence: 0 without a soft prompt. */
    public int virtualTokenCount() {
        return virtualTokens == null ? 0 : Math.toIntExact(virtualTokens.getShape().get(0));
    }

    /** {@code [B, n + T]}: the virtual tokens' positions {@code 0..n-1}, then {@code positions} shifted by n. */
    private NDArray afterVirtualTokens(NDArray positions) {
        long n = virtualTokenCount();
        NDArray prefix = manager.arange(0, Math.toIntExact(n), 1, DataType.INT64).expandDims(0);
        NDArray shifted = positions.toType(DataType.INT64, false).add(n);
        return prefix.broadcast(shifted.getShape().get(0), n).concat(shifted, 1);
    }

    private static Shape checkIds(NDArray inputIds) {
        Shape shape = inputIds.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("input ids must be [batch, length], got " + shape);
        }
        return shape;
    }

    /** The decoder stack; called inside an {@link NDScope} that closes every intermediate array. */
    private NDArray run(NDArray inputIds, NDArray positions, NDArray bias, KvCache cache, boolean prefixed) {
        long batch = inputIds.getShape().get(0);
        long length = inputIds.getShape().get(1);
        NDArray ids = inputIds.toType(DataType.INT64, false).reshape(batch * length);
        NDArray h = embedTokens.get(new NDIndex("{}", ids)).reshape(batch, length, config.hiddenSize());
        long n = prefixed ? virtualTokenCount() : 0;
        if (prefixed) {
            NDArray prompt = virtualTokens.toType(h.getDataType(), false).expandDims(0)
                    .broadcast(batch, n, config.hiddenSize());
            h = prompt.concat(h, 1);
        }
        Rope.CosSin rotation = rope.cosSin(positions);
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(h, rope, rotation, bias, cache, i);
        }
        if (prefixed) {
            // The virtual tokens' own outputs predict nothing: only the real tokens' logits are returned.
            h = h.get(new NDIndex(":, {}:, :", n));
        }
        NDArray logits = lmHead.forward(norm.forward(h));
        NDScope.unregister(logits);
        logits.attach(inputIds.getManager());
        return logits;
    }

    public LlamaConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    public NDArray embedTokens() {
        return embedTokens;
    }

    public List<DecoderLayer> layers() {
        return layers;
    }

    public RmsNorm norm() {
        return norm;
    }

    public Linear lmHead() {
        return lmHead;
    }

    /**
     * Every weight of the model under its checkpoint name, in checkpoint order: what full fine-tuning
     * trains and saves. A tied lm_head is the embedding matrix and is listed once, as transformers
     * saves it.
     */
    public Map<String, NDArray> namedWeights() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", embedTokens);
        for (int i = 0; i < layers.size(); i++) {
            DecoderLayer layer = layers.get(i);
            String prefix = "model.layers." + i + ".";
            out.put(prefix + "input_layernorm.weight", layer.inputNorm().weight());
            Attention a = layer.attention();
            for (Linear l : List.of(a.qProj(), a.kProj(), a.vProj(), a.oProj())) {
                putLinear(out, l);
            }
            out.put(prefix + "post_attention_layernorm.weight", layer.postAttentionNorm().weight());
            Mlp m = layer.mlp();
            for (Linear l : List.of(m.gateProj(), m.upProj(), m.downProj())) {
                putLinear(out, l);
            }
        }
        out.put("model.norm.weight", norm.weight());
        if (!config.tieWordEmbeddings()) {
            putLinear(out, lmHead);
        }
        return out;
    }

    private static void putLinear(Map<String, NDArray> out, Linear linear) {
        out.put(linear.name() + ".weight", linear.weight());
        if (linear.bias() != null) {
            out.put(linear.name() + ".bias", linear.bias());
        }
    }

    /** The dtype the model computes in. */
    public DataType dataType() {
        return embedTokens.getDataType();
    }

    /** Every projection of the decoder layers, in checkpoint order: where adapters attach. */
    public List<Linear> projections() {
        List<Linear> out = new ArrayList<>();
        for (DecoderLayer layer : layers) {
            Attention a = layer.attention();
            out.addAll(List.of(a.qProj(), a.kProj(), a.vProj(), a.oProj()));
            Mlp m = layer.mlp();
            out.addAll(List.of(m.gateProj(), m.upProj(), m.downProj()));
        }
        return out;
    }

    @Override
    public void close() {
        layers.forEach(DecoderLayer::close);
        norm.close();
        lmHead.close();
        rope.close();
        embedTokens.close();
        manager.close();
    }
}
