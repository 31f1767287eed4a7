package dev.tuneforge.worker.safetensors;

import java.nio.ByteBuffer;
import java.util.Set;

/**
 * Named tensors read as float32, whether they come from one safetensors file or from the shards of a
 * Hugging Face checkpoint. Closing it releases the files.
 */
public interface TensorSource extends AutoCloseable {

    Set<String> names();

    /** The header entry of {@code name}; throws if there is no such tensor. */
    TensorInfo info(String name);

    default boolean contains(String name) {
        return names().contains(name);
    }

    /**
     * The tensor's values converted to float32, in a fresh direct buffer in native byte order: the
     * layout DJL copies into a native tensor without another pass.
     */
    ByteBuffer float32(String name);

    /** The tensor's values converted to float32 as a Java array (tests, small tensors). */
    default float[] floats(String name) {
        float[] out = new float[Math.toIntExact(info(name).elementCount())];
        float32(name).asFloatBuffer().get(out);
        return out;
    }

    @Override
    void close();
}
