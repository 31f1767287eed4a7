package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Multi-head self-attention with grouped-query key/value heads: {@code numKeyValueHeads} key and value
 * heads are each shared by {@code numAttentionHeads / numKeyValueHeads} query heads.
 */
public final class Attention implements AutoCloseable {

    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear oProj;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;

    public Attention(LlamaConfig config, Linear qProj, Linear kProj, Linear vProj, Linear oProj) {
        this.qProj = qProj;
        this.kProj = kProj;
        this.vProj = vProj;
        this.oProj = oProj;
        this.heads = config.numAttentionHeads();
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.scale = (float) (1.0 / Math.sqrt(headDim));
    }

    /**
     * @param x        hidden states {@code [B, T, hidden]}
     * @param rotation RoPE cosines and sines for the batch's positions
     * @param maskBias additive mask {@code [B or 1, 1, T, T]}: 0 where a query may see a key, a large
     *                 negative number where it may not
     */
    public NDArray forward(NDArray x, Rope rope, Rope.CosSin rotation, NDArray maskBias) {
        return forward(x, rope, rotation, maskBias, null, 0);
    }

    /**
     * As {@link #forward(NDArray, Rope, Rope.CosSin, NDArray)}, the new positions' keys and values first
     * appended to {@code cache}'s slot for {@code layer}, so the queries attend to every cached position
     * too; {@code maskBias} is then {@code [B or 1, 1, T, cached + T]}.
     */
    public NDArray forward(NDArray x, Rope rope, Rope.CosSin rotation, NDArray maskBias, KvCache cache, int layer) {
        long batch = x.getShape().get(0);
        long length = x.getShape().get(1);
        NDArray q = splitHeads(qProj.forward(x), batch, length, heads);
        NDArray k = splitHeads(kProj.forward(x), batch, length, kvHeads);
        NDArray v = splitHeads(vProj.forward(x), batch, length, kvHeads);
        q = rope.apply(q, rotation);
        k = rope.apply(k, rotation);
        if (cache != null) {
            k = cache.appendKeys(layer, k);
            v = cache.appendValues(layer, v);
        }
        long keysLength = k.getShape().get(2);
        k = repeatKv(k, batch, keysLength);
        v = repeatKv(v, batch, keysLength);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(ScalarTensor.of(q, scale)).add(maskBias);
        NDArray context = scores.softmax(-1).matMul(v);
        NDArray merged = context.transpose(0, 2, 1, 3).reshape(batch, length, (long) heads * headDim);
        return oProj.forward(merged);
    }

    /** {@code [B, T, n*d] -> [B, n, T, d]}. */
    private NDArray splitHeads(NDArray projected, long batch, long length, int n) {
        return projected.reshape(batch, length, n, headDim).transpose(0, 2, 1, 3);
    }

    /** {@code [B, kv, T, d] -> [B, kv*groups, T, d]}, each key/value head repeated for its query group. */
    private NDArray repeatKv(NDArray kv, long batch, long length) {
        int groups = heads / kvHeads;
        if (groups == 1) {
            return kv;
        }
        return kv.expandDims(2)
                .broadcast(new Shape(batch, kvHeads, groups, length, headDim))
                .reshape(batch, heads, length, headDim);
    }

    public Linear qProj() {
        return qProj;
    }

    public Linear kProj() {
        return kProj;
    }

    public Linear vProj() {
        return vProj;
    }

    public Linear oProj() {
        return oProj;
    }

    @Override
    public void close() {
        qProj.close();
        kProj.close();
        vProj.close();
        oProj.close();
    }
}
