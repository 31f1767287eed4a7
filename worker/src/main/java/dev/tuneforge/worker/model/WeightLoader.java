package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tuneforge.worker.safetensors.TensorSource;
import java.util.Arrays;

/** Turns checkpoint tensors into float32 NDArrays, checking each shape against the config. */
final class WeightLoader {

    private final TensorSource source;
    private final NDManager manager;
    private final DataType dtype;

    /** @param dtype what to compute in: float32, or float64 where a test needs exact gradients */
    WeightLoader(TensorSource source, NDManager manager, DataType dtype) {
        this.source = source;
        this.manager = manager;
        this.dtype = dtype;
    }

    boolean has(String name) {
        return source.contains(name);
    }

    NDArray required(String name, long... shape) {
        if (!source.contains(name)) {
            throw new ModelConfigException("checkpoint lacks '" + name + "'");
        }
        return load(name, shape);
    }

    /** The tensor, or null when the checkpoint does not have it. */
    NDArray optional(String name, long... shape) {
        return source.contains(name) ? load(name, shape) : null;
    }

    private NDArray load(String name, long[] shape) {
        long[] actual = source.info(name).shape();
        if (!Arrays.equals(actual, shape)) {
            throw new ModelConfigException("'" + name + "' has shape " + Arrays.toString(actual)
                    + " but config.json implies " + Arrays.toString(shape));
        }
        // DJL wraps a direct buffer without copying and keeps it alive as Java direct memory; a clone
        // moves the weight into libtorch's allocator so large models are not bound by
        // -XX:MaxDirectMemorySize.
        try (NDArray wrapped = manager.create(source.float32(name), new Shape(shape), DataType.FLOAT32)) {
            NDArray owned = dtype == DataType.FLOAT32 ? wrapped.duplicate() : wrapped.toType(dtype, true);
            owned.setName(name);
            return owned;
        }
    }
}
