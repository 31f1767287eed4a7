package dev.tuneforge.worker.train;

import java.nio.file.Path;

/**
 * What a run trains and how it is written: a PEFT adapter (LoRA) or a whole Hugging Face model
 * directory (full fine-tuning). Checkpoints and outputs use the same layout, so any checkpoint is
 * itself a usable adapter or model.
 */
public interface TrainedWeights {

    TrainableParameters parameters();

    /** {@code adapter} or {@code model}: the key of the output in the {@code finished} event. */
    String outputKind();

    /** Writes the weights in their final layout into {@code dir} (created). */
    void save(Path dir);

    /** Loads the weights a previous {@link #save} wrote back into the trained tensors. */
    void restore(Path dir);

    /** Training mode switches dropout on. */
    void setTraining(boolean training);
}
