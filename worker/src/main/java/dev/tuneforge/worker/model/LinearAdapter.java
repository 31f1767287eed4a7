package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;

/**
 * A trainable correction added to a frozen {@link Linear}'s output, such as a LoRA pair
 * {@code (alpha/r) * B(A(dropout(x)))}. Keeping it separate from the base weight is what lets the base
 * stay frozen, shared, and saved apart from the adapter.
 */
public interface LinearAdapter extends AutoCloseable {

    /** The delta for input {@code x} ({@code [..., in]}), shaped like the base output {@code [..., out]}. */
    NDArray forward(NDArray x);

    @Override
    void close();
}
