package dev.tuneforge.worker.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files, single or sharded with a {@code model.safetensors.index.json} as
 * transformers' {@code save_pretrained} does. Used for test fixtures and, later, for saving adapters
 * and merged models.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tensor to write: float values stored as {@code dtype}. */
    public record Tensor(String name, DType dtype, long[] shape, float[] values) {
        public Tensor {
            long n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
            if (n != values.length) {
                throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " holds " + n
                        + " values, got " + values.length);
            }
        }

        long byteSize() {
            return (long) values.length * dtype.bytes();
        }
    }

    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>(Map.of("format", "pt"));

    public SafetensorsWriter add(String name, DType dtype, long[] shape, float[] values) {
        if (tensors.stream().anyMatch(t -> t.name().equals(name))) {
            throw new IllegalArgumentException("duplicate tensor " + name);
        }
        tensors.add(new Tensor(name, dtype, shape.clone(), values));
        return this;
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public List<Tensor> tensors() {
        return List.copyOf(tensors);
    }

    /** Writes every tensor to one file. */
    public void write(Path file) {
        writeFile(file, tensors, metadata);
    }

    /**
     * Writes {@code model-0000i-of-0000N.safetensors} shards of roughly equal size into {@code dir}, and
     * the index that maps every tensor to its shard.
     */
    public void writeSharded(Path dir, int shardCount) {
        if (shardCount < 1 || shardCount > tensors.size()) {
            throw new IllegalArgumentException("cannot split " + tensors.size() + " tensors into " + shardCount
                    + " shards");
        }
        long total = tensors.stream().mapToLong(Tensor::byteSize).sum();
        List<List<Tensor>> shards = new ArrayList<>();
        for (int i = 0; i < shardCount; i++) {
            shards.add(new ArrayList<>());
        }
        long written = 0;
        int remaining = tensors.size();
        int shard = 0;
        for (Tensor t : tensors) {
            shards.get(shard).add(t);
            written += t.byteSize();
            remaining--;
            // Move on once this shard has its share, keeping at least one tensor for each later shard.
            boolean full = written >= total * (shard + 1) / shardCount;
            if (shard < shardCount - 1 && (full || remaining == shardCount - 1 - shard)) {
                shard++;
            }
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < shardCount; i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shardCount);
            writeFile(dir.resolve(name), shards.get(i), metadata);
            shards.get(i).forEach(t -> weightMap.put(t.name(), name));
        }
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(SafetensorsCheckpoint.INDEX_FILE).toFile(),
                    index);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the shard index in " + dir, e);
        }
    }

    private static void writeFile(Path file, List<Tensor> tensors, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        header.putPOJO("__metadata__", metadata);
        long offset = 0;
        for (Tensor t : tensors) {
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", t.dtype().name());
            entry.putPOJO("shape", t.shape());
            entry.putArray("data_offsets").add(offset).add(offset + t.byteSize());
            offset += t.byteSize();
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // The format pads the header with spaces so that the data section starts 8-byte aligned.
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(out, head);
                for (Tensor t : tensors) {
                    ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(t.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
                    float[] values = t.values();
                    for (int i = 0; i < values.length; i++) {
                        t.dtype().write(data, i, values[i]);
                    }
                    writeFully(out, data);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }
}
