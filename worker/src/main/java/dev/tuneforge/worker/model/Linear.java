package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;

/**
 * {@code y = x W^T + b}, with the weight in PyTorch's {@code [out, in]} layout, plus an optional
 * {@link LinearAdapter} delta. Every projection of the model is one of these, so fine-tuning attaches
 * adapters by module name without touching the forward pass.
 */
public final class Linear implements AutoCloseable {

    private final String name;
    private final NDArray weight;
    private final NDArray bias;
    private final boolean ownsWeight;
    private LinearAdapter adapter;

    /**
     * @param ownsWeight false when the weight is shared (a tied lm_head uses the embedding matrix), so
     *                   closing this layer leaves it alone
     */
    public Linear(String name, NDArray weight, NDArray bias, boolean ownsWeight) {
        if (weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException(name + ": weight must be 2-D, got " + weight.getShape());
        }
        if (bias != null && bias.getShape().size() != weight.getShape().get(0)) {
            throw new IllegalArgumentException(name + ": bias " + bias.getShape() + " does not match weight "
                    + weight.getShape());
        }
        this.name = name;
        this.weight = weight;
        this.bias = bias;
        this.ownsWeight = ownsWeight;
    }

    public NDArray forward(NDArray x) {
        NDArray y = bias == null
                ? ai.djl.nn.core.Linear.linear(x, weight).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
        return adapter == null ? y : y.add(adapter.forward(x));
    }

    /** The module name as in the checkpoint, e.g. {@code model.layers.0.self_attn.q_proj}. */
    public String name() {
        return name;
    }

    public NDArray weight() {
        return weight;
    }

    /** The bias, or null. */
    public NDArray bias() {
        return bias;
    }

    public long inFeatures() {
        return weight.getShape().get(1);
    }

    public long outFeatures() {
        return weight.getShape().get(0);
    }

    /** The adapter, or null. */
    public LinearAdapter adapter() {
        return adapter;
    }

    /** Attaches (or, with null, removes) the adapter; the previous one is returned, not closed. */
    public LinearAdapter setAdapter(LinearAdapter adapter) {
        LinearAdapter previous = this.adapter;
        this.adapter = adapter;
        return previous;
    }

    @Override
    public void close() {
        if (ownsWeight) {
            weight.close();
        }
        if (bias != null) {
            bias.close();
        }
        if (adapter != null) {
            adapter.close();
        }
    }
}
