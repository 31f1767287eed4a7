package dev.tuneforge.worker.safetensors;

import java.nio.ByteBuffer;

/**
 * The element types of the safetensors format that the worker reads. Every one converts to float32,
 * because the runtime computes in float32 on CPU; integer and 8-bit float types are not model weights
 * of the families we load.
 */
public enum DType {
    F32(4),
    F16(2),
    BF16(2);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** Parses the header's dtype string, naming the tensor when the type is not supported. */
    public static DType parse(String name, String tensor) {
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException(
                    "tensor '" + tensor + "' has dtype " + name + "; supported: F32, F16, BF16");
        }
    }

    /** Reads element {@code index} of a little-endian buffer as a float. */
    float read(ByteBuffer data, int index) {
        return switch (this) {
            case F32 -> data.getFloat(index * 4);
            case F16 -> Float.float16ToFloat(data.getShort(index * 2));
            // bfloat16 is the upper half of a float32.
            case BF16 -> Float.intBitsToFloat((data.getShort(index * 2) & 0xFFFF) << 16);
        };
    }

    /** Writes {@code value} as element {@code index} of a little-endian buffer. */
    void write(ByteBuffer data, int index, float value) {
        switch (this) {
            case F32 -> data.putFloat(index * 4, value);
            case F16 -> data.putShort(index * 2, Float.floatToFloat16(value));
            case BF16 -> data.putShort(index * 2, toBfloat16(value));
        }
    }

    /** Rounds to nearest even, as torch does when casting float32 to bfloat16. */
    static short toBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
