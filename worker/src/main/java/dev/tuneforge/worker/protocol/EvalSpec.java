package dev.tuneforge.worker.protocol;

import dev.tuneforge.worker.data.DataFormat;
import java.nio.file.Path;

/**
 * What {@code worker evaluate} is asked to do: score a model (a base model, optionally with a PEFT
 * adapter) on a data file, per example, and write the results as JSONL.
 *
 * @param adapter     a PEFT adapter directory, or null for the base model alone
 * @param generation  the generation per example; a budget of 0 skips generation. Example {@code i}
 *                    samples with seed {@code seed + i}, so its text does not depend on batching.
 * @param output      the results file
 */
public record EvalSpec(Path baseModel, Path adapter, Path data, DataFormat format, int maxSeqLength,
                       GenerationParams generation, Path output, String device) {

    public EvalSpec withAdapter(Path newAdapter) {
        return new EvalSpec(baseModel, newAdapter, data, format, maxSeqLength, generation, output, device);
    }
}
