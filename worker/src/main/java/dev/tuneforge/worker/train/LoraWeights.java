package dev.tuneforge.worker.train;

import ai.djl.ndarray.NDArray;
import dev.tuneforge.worker.lora.LoraModel;
import dev.tuneforge.worker.safetensors.SafetensorsReader;
import java.nio.file.Path;
import java.util.Map;

/** LoRA training: only the adapters are trainable and saved, in PEFT layout. */
public final class LoraWeights implements TrainedWeights {

    private final LoraModel lora;
    private final TrainableParameters parameters;
    private final String baseModel;

    public LoraWeights(LoraModel lora, String baseModel) {
        this.lora = lora;
        this.parameters = TrainableParameters.of(lora.parameters());
        this.baseModel = baseModel;
    }

    @Override
    public TrainableParameters parameters() {
        return parameters;
    }

    @Override
    public String outputKind() {
        return "adapter";
    }

    @Override
    public void save(Path dir) {
        lora.save(dir, baseModel);
    }

    @Override
    public void restore(Path dir) {
        try (SafetensorsReader weights = SafetensorsReader.open(dir.resolve(LoraModel.WEIGHTS_FILE))) {
            for (Map.Entry<String, NDArray> e : parameters.byName().entrySet()) {
                e.getValue().set(weights.floats(e.getKey()));
            }
        }
    }

    @Override
    public void setTraining(boolean training) {
        lora.setTraining(training);
    }
}
