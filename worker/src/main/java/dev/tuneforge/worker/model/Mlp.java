package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** The SwiGLU feed-forward block: {@code down(silu(gate(x)) * up(x))}. */
public final class Mlp implements AutoCloseable {

    private final Linear gateProj;
    private final Linear upProj;
    private final Linear downProj;

    public Mlp(Linear gateProj, Linear upProj, Linear downProj) {
        this.gateProj = gateProj;
        this.upProj = upProj;
        this.downProj = downProj;
    }

    public NDArray forward(NDArray x) {
        NDArray gate = gateProj.forward(x);
        NDArray silu = gate.mul(Activation.sigmoid(gate));
        return downProj.forward(silu.mul(upProj.forward(x)));
    }

    public Linear gateProj() {
        return gateProj;
    }

    public Linear upProj() {
        return upProj;
    }

    public Linear downProj() {
        return downProj;
    }

    @Override
    public void close() {
        gateProj.close();
        upProj.close();
        downProj.close();
    }
}
