package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;

/** One pre-norm transformer block: {@code h = x + attn(norm(x)); out = h + mlp(norm(h))}. */
public final class DecoderLayer implements AutoCloseable {

    private final RmsNorm inputNorm;
    private final Attention attention;
    private final RmsNorm postAttentionNorm;
    private final Mlp mlp;

    public DecoderLayer(RmsNorm inputNorm, Attention attention, RmsNorm postAttentionNorm, Mlp mlp) {
        this.inputNorm = inputNorm;
        this.attention = attention;
        this.postAttentionNorm = postAttentionNorm;
        this.mlp = mlp;
    }

    public NDArray forward(NDArray x, Rope rope, Rope.CosSin rotation, NDArray maskBias) {
        return forward(x, rope, rotation, maskBias, null, 0);
    }

    /** With a key/value cache: see {@link Attention#forward(NDArray, Rope, Rope.CosSin, NDArray, KvCache, int)}. */
    public NDArray forward(NDArray x, Rope rope, Rope.CosSin rotation, NDArray maskBias, KvCache cache, int layer) {
        NDArray h = x.add(attention.forward(inputNorm.forward(x), rope, rotation, maskBias, cache, layer));
        return h.add(mlp.forward(postAttentionNorm.forward(h)));
    }

    public Attention attention() {
        return attention;
    }

    public Mlp mlp() {
        return mlp;
    }

    public RmsNorm inputNorm() {
        return inputNorm;
    }

    public RmsNorm postAttentionNorm() {
        return postAttentionNorm;
    }

    @Override
    public void close() {
        inputNorm.close();
        attention.close();
        postAttentionNorm.close();
        mlp.close();
    }
}
