package dev.tuneforge.worker.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.safetensors.DType;
import dev.tuneforge.worker.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A PEFT adapter directory: {@value #CONFIG_FILE}, whose {@code peft_type} says which adapter it is, and
 * {@value #WEIGHTS_FILE}, the adapter's tensors in float32 under PEFT's names.
 */
public final class AdapterFiles {

    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private AdapterFiles() {
    }

    /** The {@code peft_type} of an adapter directory. */
    public static String peftType(Path dir) {
        return readConfig(dir).path("peft_type").asText();
    }

    /** An adapter directory's {@code adapter_config.json}, which must name {@code peftType}. */
    public static JsonNode readConfig(Path dir, String peftType) {
        JsonNode config = readConfig(dir);
        if (!peftType.equals(config.path("peft_type").asText())) {
            throw new IllegalArgumentException(dir + ": peft_type " + config.path("peft_type") + " is not " + peftType);
        }
        return config;
    }

    private static JsonNode readConfig(Path dir) {
        Path file = dir.resolve(CONFIG_FILE);
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Writes an adapter directory: {@code config} and {@code tensors}, float32, as PEFT saves them. */
    public static void write(Path dir, ObjectNode config, Map<String, NDArray> tensors) {
        try {
            Files.createDirectories(dir);
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(CONFIG_FILE).toFile(), config);
            SafetensorsWriter writer = new SafetensorsWriter();
            tensors.forEach((name, array) -> writer.add(name, DType.F32, array.getShape().getShape(),
                    array.toType(DataType.FLOAT32, false).toFloatArray()));
            writer.write(dir.resolve(WEIGHTS_FILE));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the adapter to " + dir, e);
        }
    }
}
