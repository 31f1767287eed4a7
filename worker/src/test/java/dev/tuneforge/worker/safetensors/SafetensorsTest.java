package dev.tuneforge.worker.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir
    Path dir;

    private static final float[] VALUES = {0f, 1f, -2.5f, 3.14159265f, 1e-3f, -65504f, 1.0009765625f};

    @Test
    void roundTripsEveryDtype() {
        Path file = dir.resolve("t.safetensors");
        new SafetensorsWriter()
                .add("f32", DType.F32, new long[] {7}, VALUES)
                .add("f16", DType.F16, new long[] {7, 1}, VALUES)
                .add("bf16", DType.BF16, new long[] {1, 7}, VALUES)
                .write(file);
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertEquals(Set.of("f32", "f16", "bf16"), r.names());
            assertEquals("pt", r.metadata().get("format"));
            assertArrayEquals(VALUES, r.floats("f32"));
            assertArrayEquals(new long[] {7, 1}, r.info("f16").shape());
            float[] f16 = r.floats("f16");
            float[] bf16 = r.floats("bf16");
            for (int i = 0; i < VALUES.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(VALUES[i])), f16[i]);
                assertEquals(VALUES[i], bf16[i], Math.abs(VALUES[i]) / 128, "bf16 keeps 8 significant bits");
            }
            // 1.0009765625 = 1 + 2^-10 rounds to 1.0 in bfloat16 (ties to even), as torch does.
            assertEquals(1.0f, bf16[6]);
            assertEquals(ByteOrder.nativeOrder(), r.float32("f32").order());
        }
    }

    @Test
    void dataSectionStartsEightByteAligned() throws IOException {
        Path file = dir.resolve("a.safetensors");
        new SafetensorsWriter().add("x", DType.F32, new long[] {1}, new float[] {1f}).write(file);
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8);
    }

    @Test
    void readsAFileWrittenByHandLikeTheReferenceImplementation() throws IOException {
        // Header without metadata and without padding, as some writers produce.
        String header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json).putShort((short) 0x3F80).putShort((short) 0xC000);
        Path file = dir.resolve("hand.safetensors");
        Files.write(file, b.array());
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertArrayEquals(new float[] {1f, -2f}, r.floats("w"));
        }
    }

    @Test
    void rejectsUnsupportedDtypeAndInconsistentOffsets() throws IOException {
        SafetensorsException dtype = assertThrows(SafetensorsException.class,
                () -> SafetensorsReader.open(hand("{\"w\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4)));
        assertTrue(dtype.getMessage().contains("I8"), dtype.getMessage());
        SafetensorsException offsets = assertThrows(SafetensorsException.class,
                () -> SafetensorsReader.open(hand("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8)));
        assertTrue(offsets.getMessage().contains("does not fit"), offsets.getMessage());
        SafetensorsException past = assertThrows(SafetensorsException.class,
                () -> SafetensorsReader.open(hand("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8)));
        assertTrue(past.getMessage().contains("past the file"), past.getMessage());
    }

    @Test
    void shardedCheckpointResolvesEveryTensorThroughTheIndex() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        for (int i = 0; i < 5; i++) {
            w.add("t" + i, DType.F32, new long[] {i + 1}, new float[i + 1]);
        }
        w.writeSharded(dir, 3);
        assertTrue(Files.exists(dir.resolve("model-00001-of-00003.safetensors")));
        assertTrue(Files.exists(dir.resolve("model-00003-of-00003.safetensors")));
        assertTrue(Files.exists(dir.resolve(SafetensorsCheckpoint.INDEX_FILE)));
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(3, c.shardCount());
            assertEquals(Set.of("t0", "t1", "t2", "t3", "t4"), new HashSet<>(c.names()));
            assertArrayEquals(new long[] {4}, c.info("t3").shape());
        }
        // Without the index the shards' own headers still name every tensor.
        Files.delete(dir.resolve(SafetensorsCheckpoint.INDEX_FILE));
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(5, c.names().size());
        }
    }

    @Test
    void missingWeightsNameWhatWasLookedFor() {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    private Path hand(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Path file = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(file, b.array());
        return file;
    }
}
