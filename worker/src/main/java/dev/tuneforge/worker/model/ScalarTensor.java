package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;

/**
 * Constants to multiply or divide by in a computation that autograd records.
 *
 * <p>DJL's {@code x.mul(2f)} wraps the number in a 0-d tensor that aliases a Java direct buffer, and
 * closes it as soon as the operation returns. libtorch's autograd keeps that tensor for the backward
 * pass (the gradient of {@code x * c} is {@code grad * c}), but nothing on the Java side keeps the
 * buffer alive any longer: when a garbage collection frees it between forward and backward, backward
 * reads freed memory and the gradients come out scaled by whatever lies there — NaN, or a value a few
 * bits off. A constant from here is a copy in libtorch's own memory, which autograd's reference keeps
 * alive however the Java side closes it.
 */
public final class ScalarTensor {

    private ScalarTensor() {
    }

    /**
     * {@code value} as a 0-d tensor of {@code like}'s data type, owned by {@code like}'s manager. The
     * value is rounded to float first, as DJL's number overloads do, so results equal theirs bit for bit.
     */
    public static NDArray of(NDArray like, float value) {
        try (NDArray wrapped = like.getManager().create(value)) {
            return wrapped.getDataType() == like.getDataType() ? wrapped.duplicate()
                    : wrapped.toType(like.getDataType(), false);
        }
    }
}
