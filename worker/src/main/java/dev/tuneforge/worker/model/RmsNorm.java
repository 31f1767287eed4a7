package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;

/** {@code x / sqrt(mean(x^2) + eps) * weight} over the last axis, as Llama's {@code LlamaRMSNorm}. */
public final class RmsNorm implements AutoCloseable {

    private final NDArray weight;
    private final float eps;

    public RmsNorm(NDArray weight, double eps) {
        this.weight = weight;
        this.eps = (float) eps;
    }

    public NDArray forward(NDArray x) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        return x.div(variance.add(eps).sqrt()).mul(weight);
    }

    public NDArray weight() {
        return weight;
    }

    @Override
    public void close() {
        weight.close();
    }
}
