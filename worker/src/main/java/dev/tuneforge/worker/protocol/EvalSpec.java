package dev.tuneforge.worker.protocol;

import dev.tuneforge.worker.data.DataFormat;
import java.nio.file.Path;

/**
 * What {@code worker evaluate} is asked to do: score a model (a base model, optionally with a PEFT
 * adapter) on a data file, per example, and write the results as JSONL.
 *
 * @param adapter       a PEFT adapter directory, or null for the base model alone
 * @param maxNewTokens  generation budget per example; 0 skips generation
 * @param output        the results file
 */
public record EvalSpec(Path baseModel, Path adapter, Path data, DataFormat format, int maxSeqLength,
                       int maxNewTokens, Path output, String device) { }
