package dev.tuneforge.worker.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The weights of a Hugging Face model directory: either one {@code model.safetensors}, or shards
 * {@code model-00001-of-0000N.safetensors} listed by {@code model.safetensors.index.json}.
 * Each tensor name resolves to the shard that holds it.
 */
public final class SafetensorsCheckpoint implements TensorSource {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final List<SafetensorsReader> shards;
    private final Map<String, SafetensorsReader> byName;

    private SafetensorsCheckpoint(List<SafetensorsReader> shards, Map<String, SafetensorsReader> byName) {
        this.shards = shards;
        this.byName = byName;
    }

    public static SafetensorsCheckpoint open(Path modelDir) {
        Path index = modelDir.resolve(INDEX_FILE);
        Path single = modelDir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(index)) {
            return openIndexed(modelDir, index);
        }
        if (Files.isRegularFile(single)) {
            return openFiles(List.of(single));
        }
        // Shards without an index still name every tensor in their own headers.
        List<Path> files = listShards(modelDir);
        if (files.isEmpty()) {
            throw new SafetensorsException(modelDir + ": no " + SINGLE_FILE + ", " + INDEX_FILE
                    + " or model-*.safetensors");
        }
        return openFiles(files);
    }

    private static SafetensorsCheckpoint openIndexed(Path modelDir, Path index) {
        JsonNode weightMap;
        try {
            weightMap = new ObjectMapper().readTree(index.toFile()).path("weight_map");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + index, e);
        }
        if (!weightMap.isObject() || weightMap.isEmpty()) {
            throw new SafetensorsException(index + ": no weight_map");
        }
        Map<String, SafetensorsReader> files = new LinkedHashMap<>();
        Map<String, SafetensorsReader> byName = new LinkedHashMap<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String file = e.getValue().asText();
                if (file.contains("/") || file.contains("\\")) {
                    throw new SafetensorsException(index + ": shard name '" + file + "' is not a plain file name");
                }
                SafetensorsReader reader = files.computeIfAbsent(file,
                        f -> SafetensorsReader.open(modelDir.resolve(f)));
                if (!reader.names().contains(e.getKey())) {
                    throw new SafetensorsException(index + " maps '" + e.getKey() + "' to " + file
                            + ", which does not hold it");
                }
                byName.put(e.getKey(), reader);
            }
        } catch (RuntimeException e) {
            files.values().forEach(SafetensorsReader::close);
            throw e;
        }
        return new SafetensorsCheckpoint(List.copyOf(files.values()), Collections.unmodifiableMap(byName));
    }

    private static SafetensorsCheckpoint openFiles(List<Path> files) {
        List<SafetensorsReader> shards = new ArrayList<>();
        Map<String, SafetensorsReader> byName = new LinkedHashMap<>();
        try {
            for (Path file : files) {
                SafetensorsReader reader = SafetensorsReader.open(file);
                shards.add(reader);
                for (String name : reader.names()) {
                    if (byName.put(name, reader) != null) {
                        throw new SafetensorsException("tensor '" + name + "' is in more than one shard");
                    }
                }
            }
        } catch (RuntimeException e) {
            shards.forEach(SafetensorsReader::close);
            throw e;
        }
        return new SafetensorsCheckpoint(List.copyOf(shards), Collections.unmodifiableMap(byName));
    }

    private static List<Path> listShards(Path modelDir) {
        try (Stream<Path> s = Files.list(modelDir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith("model-") && n.endsWith(".safetensors");
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + modelDir, e);
        }
    }

    public int shardCount() {
        return shards.size();
    }

    @Override
    public Set<String> names() {
        return byName.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        return reader(name).info(name);
    }

    @Override
    public ByteBuffer float32(String name) {
        return reader(name).float32(name);
    }

    private SafetensorsReader reader(String name) {
        SafetensorsReader reader = byName.get(name);
        if (reader == null) {
            throw new SafetensorsException("checkpoint has no tensor named '" + name + "'");
        }
        return reader;
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsReader::close);
    }
}
