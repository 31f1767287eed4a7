package dev.tuneforge.worker.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.safetensors.DType;
import dev.tuneforge.worker.safetensors.SafetensorsCheckpoint;
import dev.tuneforge.worker.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * Full fine-tuning: every weight is trainable, and the result is a complete Hugging Face model
 * directory: config.json and tokenizer files copied from the base model, weights in
 * {@code model.safetensors} (float32). config.json says float32 too: transformers loads a model in
 * the dtype its config names, so a bf16 base's config over these weights would halve their precision.
 */
public final class FullWeights implements TrainedWeights {

    /** The files besides the weights that make a model directory loadable. */
    private static final List<String> COPIED = List.of("generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "chat_template.json");
    private static final String CONFIG = "config.json";
    private static final List<String> DTYPE_KEYS = List.of("dtype", "torch_dtype");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LlamaModel model;
    private final Path baseModel;
    private final TrainableParameters parameters;

    public FullWeights(LlamaModel model, Path baseModel) {
        this.model = model;
        this.baseModel = baseModel;
        this.parameters = TrainableParameters.of(model.namedWeights());
    }

    @Override
    public TrainableParameters parameters() {
        return parameters;
    }

    @Override
    public String outputKind() {
        return "model";
    }

    @Override
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
            ObjectNode config = (ObjectNode) JSON.readTree(baseModel.resolve(CONFIG).toFile());
            for (String key : DTYPE_KEYS) {
                if (config.has(key)) {
                    config.put(key, "float32");
                }
            }
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(CONFIG).toFile(), config);
            for (String name : COPIED) {
                Path source = baseModel.resolve(name);
                if (Files.isRegularFile(source)) {
                    Files.copy(source, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            SafetensorsWriter writer = new SafetensorsWriter();
            for (Map.Entry<String, NDArray> e : parameters.byName().entrySet()) {
                NDArray w = e.getValue();
                writer.add(e.getKey(), DType.F32, w.getShape().getShape(),
                        w.toType(DataType.FLOAT32, false).toFloatArray());
            }
            writer.write(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the model to " + dir, e);
        }
    }

    @Override
    public void restore(Path dir) {
        parameters.restore(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE));
    }

    @Override
    public void setTraining(boolean training) {
        // Llama has no dropout outside adapters.
    }
}
