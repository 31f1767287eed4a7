package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * Rotary position embedding in the Hugging Face convention: the head dimension is split in halves
 * (not interleaved pairs), {@code rotate_half(x) = cat(-x2, x1)}, and
 * {@code x' = x * cos + rotate_half(x) * sin} with frequencies repeated across both halves.
 * Checkpoints converted to HF layout permute q/k weights for exactly this convention.
 */
public final class Rope implements AutoCloseable {

    private final NDArray invFreq;
    private final int headDim;

    public Rope(NDManager manager, LlamaConfig config) {
        this.headDim = config.headDim();
        this.invFreq = manager.create(inverseFrequencies(config.headDim(), config.ropeTheta(), config.ropeScaling()));
    }

    /**
     * {@code 1 / theta^(2i/d)} for {@code i < d/2}, then the scaling's adjustment, in the order
     * transformers' {@code ROPE_INIT_FUNCTIONS} apply them.
     */
    static float[] inverseFrequencies(int headDim, double theta, RopeScaling scaling) {
        int half = headDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            // transformers computes the exponent in float32; do the same so angles agree bit for bit
            // as far as possible at long positions.
            float exponent = (float) (2 * i) / headDim;
            inv[i] = (float) (1.0 / Math.pow(theta, exponent));
        }
        switch (scaling) {
            case RopeScaling.None none -> { }
            case RopeScaling.Linear linear -> {
                for (int i = 0; i < half; i++) {
                    inv[i] = (float) (inv[i] / linear.factor());
                }
            }
            case RopeScaling.Llama3 l3 -> {
                double lowWavelen = l3.originalMaxPositionEmbeddings() / l3.lowFreqFactor();
                double highWavelen = l3.originalMaxPositionEmbeddings() / l3.highFreqFactor();
                for (int i = 0; i < half; i++) {
                    double f = inv[i];
                    double wavelen = 2 * Math.PI / f;
                    double scaled = wavelen > lowWavelen ? f / l3.factor() : f;
                    if (wavelen >= highWavelen && wavelen <= lowWavelen) {
                        double smooth = (l3.originalMaxPositionEmbeddings() / wavelen - l3.lowFreqFactor())
                                / (l3.highFreqFactor() - l3.lowFreqFactor());
                        scaled = (1 - smooth) * scaled / l3.factor() + smooth * scaled;
                    }
                    inv[i] = (float) scaled;
                }
            }
        }
        return inv;
    }

    /** Cosines and sines for position ids {@code [B, T]} (int64), each shaped {@code [B, 1, T, headDim]}. */
    public CosSin cosSin(NDArray positionIds) {
        NDArray freqs = positionIds.toType(DataType.FLOAT32, false).expandDims(-1).mul(invFreq);
        NDArray emb = freqs.concat(freqs, -1).expandDims(1);
        return new CosSin(emb.cos(), emb.sin());
    }

    /** Rotates {@code x} ({@code [B, heads, T, headDim]}). */
    public NDArray apply(NDArray x, CosSin cs) {
        return x.mul(cs.cos()).add(rotateHalf(x).mul(cs.sin()));
    }

    private NDArray rotateHalf(NDArray x) {
        int half = headDim / 2;
        NDArray x1 = x.get(new NDIndex("..., :" + half));
        NDArray x2 = x.get(new NDIndex("..., " + half + ":"));
        return x2.neg().concat(x1, -1);
    }

    @Override
    public void close() {
        invFreq.close();
    }

    /** The rotation for one batch of positions, shared by every layer of a forward pass. */
    public record CosSin(NDArray cos, NDArray sin) { }
}
