package dev.tuneforge.worker.protocol;

import java.nio.file.Path;

/**
 * What {@code worker evaluate} is asked to do ({@code schemas/eval-spec.schema.json}): score a model (a base
 * model, optionally with a PEFT adapter) on a data file, per example, and write the results as JSONL. Read by
 * {@link SpecReader}, written by {@link SpecWriter}, as {@link TrainSpec} is.
 *
 * @param adapter     a PEFT adapter directory, or null for the base model alone
 * @param generation  the generation per example; a budget of 0 skips generation. Example {@code i}
 *                    samples with seed {@code seed + i}, so its text does not depend on batching.
 * @param output      the results file
 * @param device      {@code cpu}, {@code cuda}, {@code cuda:N} or {@code auto}
 */
public record EvalSpec(Path baseModel, Path adapter, Path data, DataFormat format, int maxSeqLength,
                       GenerationParams generation, Path output, String device) {

    public EvalSpec withAdapter(Path newAdapter) {
        return new EvalSpec(baseModel, newAdapter, data, format, maxSeqLength, generation, output, device);
    }
}
