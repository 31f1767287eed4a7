package dev.tuneforge.worker.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.norm.Dropout;
import dev.tuneforge.worker.model.LinearAdapter;
import dev.tuneforge.worker.model.ScalarTensor;

/**
 * A LoRA pair on one frozen projection: {@code scaling * B(A(dropout(x)))}, with A {@code [r, in]} and
 * B {@code [out, r]} as PEFT stores them. B starts at zero, so attaching an adapter leaves the model's
 * output unchanged until training moves it.
 */
public final class LoraAdapter implements LinearAdapter {

    private final NDArray a;
    private final NDArray b;
    private final float scaling;
    private final float dropout;
    private boolean training;

    public LoraAdapter(NDArray a, NDArray b, double scaling, double dropout) {
        this.a = a;
        this.b = b;
        this.scaling = (float) scaling;
        this.dropout = (float) dropout;
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray in = training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
        NDArray down = ai.djl.nn.core.Linear.linear(in, a).singletonOrThrow();
        // Not mul(scaling): autograd keeps the constant, and DJL frees a number operand's buffer (ScalarTensor).
        return ai.djl.nn.core.Linear.linear(down, b).singletonOrThrow().mul(ScalarTensor.of(down, scaling));
    }

    /** Dropout applies only while training. */
    void setTraining(boolean training) {
        this.training = training;
    }

    public NDArray a() {
        return a;
    }

    public NDArray b() {
        return b;
    }

    @Override
    public void close() {
        a.close();
        b.close();
    }
}
