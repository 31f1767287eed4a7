package dev.tuneforge.worker.adapter;

import ai.djl.ndarray.NDArray;
import dev.tuneforge.worker.lora.LoraModel;
import dev.tuneforge.worker.model.LlamaModel;
import java.nio.file.Path;
import java.util.Map;

/**
 * A PEFT adapter attached to a model for evaluation, serving or parity checks: a LoRA adapter ({@link LoraModel})
 * or a soft prompt ({@link SoftPrompt}), whichever the directory's {@code adapter_config.json} names, or one being
 * trained. Closing it detaches it, leaving the base model as it was.
 */
public interface Adapter extends AutoCloseable {

    /** Reads a PEFT adapter directory, of either runtime or of PEFT itself, and attaches it to {@code model}. */
    static Adapter load(LlamaModel model, Path dir) {
        String type = AdapterFiles.peftType(dir);
        return switch (type) {
            case "LORA" -> LoraModel.load(model, dir);
            case SoftPrompt.PEFT_TYPE -> SoftPrompt.load(model, dir);
            default -> throw new IllegalArgumentException(dir + ": peft_type " + type
                    + " is not one the djl runtime loads (LORA, PROMPT_TUNING)");
        };
    }

    /** The trained tensors under their PEFT names, as {@link #save} writes them. */
    Map<String, NDArray> parameters();

    /** Writes the PEFT adapter directory ({@link AdapterFiles}). */
    void save(Path dir, String baseModelNameOrPath);

    /** Training mode switches dropout on, where the adapter has any. */
    void setTraining(boolean training);

    @Override
    void close();
}
