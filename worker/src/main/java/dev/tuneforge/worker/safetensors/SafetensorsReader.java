package dev.tuneforge.worker.safetensors;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads one {@code .safetensors} file: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw little-endian data. Tensors are memory-mapped one
 * at a time when asked for, so opening a multi-gigabyte checkpoint costs only its header.
 */
public final class SafetensorsReader implements TensorSource {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Real headers are kilobytes to a few megabytes; this bound rejects garbage before allocating. */
    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsReader(Path path, FileChannel channel, long dataStart,
                              Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsReader open(Path path) {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new SafetensorsException(path + ": too short to be a safetensors file");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > fileSize) {
                throw new SafetensorsException(path + ": bad header length " + headerLength);
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            long dataStart = 8 + headerLength;
            Map<String, Object> json = JSON.readValue(header.array(), new TypeReference<>() { });
            Map<String, String> metadata = Map.of();
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : json.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    metadata = toStringMap(e.getValue());
                    continue;
                }
                TensorInfo info = parseEntry(e.getKey(), e.getValue());
                if (dataStart + info.end() > fileSize) {
                    throw new SafetensorsException(path + ": tensor '" + info.name() + "' ends past the file");
                }
                tensors.put(info.name(), info);
            }
            return new SafetensorsReader(path, channel, dataStart, Collections.unmodifiableMap(tensors),
                    metadata);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot read " + path, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static TensorInfo parseEntry(String name, Object value) {
        if (!(value instanceof Map<?, ?> entry)) {
            throw new SafetensorsException("tensor '" + name + "': header entry is not an object");
        }
        DType dtype = DType.parse(String.valueOf(entry.get("dtype")), name);
        if (!(entry.get("shape") instanceof List<?> dims) || !(entry.get("data_offsets") instanceof List<?> offsets)
                || offsets.size() != 2) {
            throw new SafetensorsException("tensor '" + name + "': missing shape or data_offsets");
        }
        long[] shape = dims.stream().mapToLong(d -> ((Number) d).longValue()).toArray();
        long begin = ((Number) offsets.get(0)).longValue();
        long end = ((Number) offsets.get(1)).longValue();
        TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
        if (begin < 0 || end < begin || info.elementCount() * dtype.bytes() != end - begin) {
            throw new SafetensorsException("tensor '" + name + "': byte range [" + begin + ", " + end
                    + ") does not fit shape " + info);
        }
        return info;
    }

    private static Map<String, String> toStringMap(Object value) {
        Map<String, String> out = new LinkedHashMap<>();
        if (value instanceof Map<?, ?> m) {
            m.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
        }
        return Collections.unmodifiableMap(out);
    }

    public Path path() {
        return path;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new SafetensorsException(path + ": no tensor named '" + name + "'");
        }
        return info;
    }

    /** The tensor's bytes as stored, memory-mapped read-only, little-endian. */
    public ByteBuffer raw(String name) {
        TensorInfo info = info(name);
        if (info.byteSize() > Integer.MAX_VALUE) {
            throw new SafetensorsException(path + ": tensor '" + name + "' is larger than 2 GiB");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.byteSize())
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map '" + name + "' from " + path, e);
        }
    }

    @Override
    public ByteBuffer float32(String name) {
        TensorInfo info = info(name);
        ByteBuffer src = raw(name);
        int count = Math.toIntExact(info.elementCount());
        if ((long) count * 4 > Integer.MAX_VALUE) {
            throw new SafetensorsException(path + ": tensor '" + name + "' is larger than 2 GiB as float32");
        }
        ByteBuffer out = ByteBuffer.allocateDirect(count * 4).order(ByteOrder.nativeOrder());
        if (info.dtype() == DType.F32 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            out.put(src).flip();
            return out;
        }
        DType dtype = info.dtype();
        for (int i = 0; i < count; i++) {
            out.putFloat(i * 4, dtype.read(src, i));
        }
        return out;
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + buffer.position());
            if (n < 0) {
                throw new SafetensorsException("unexpected end of file");
            }
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing was written; a failed close of a read-only channel loses nothing.
            }
        }
    }
}
