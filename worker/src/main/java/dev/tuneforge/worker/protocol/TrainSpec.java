package dev.tuneforge.worker.protocol;

import dev.tuneforge.worker.data.DataFormat;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code worker train} is asked to do: the whole of {@code spec.json}, validated, paths
 * resolved against the work directory. The JSON form is documented in docs/WORKER_PROTOCOL.md and
 * described by {@code spec.schema.json}.
 *
 * @param evalSteps             validate every this many steps; null: only at the end
 * @param earlyStoppingPatience stop after this many evaluations without a better validation loss;
 *                              null: never
 * @param saveSteps             checkpoint every this many steps; null: only when stopped
 * @param resumeFrom            a checkpoint directory, or null
 */
public record TrainSpec(
        Path baseModel,
        Data data,
        Method method,
        Hyperparameters hyperparameters,
        Integer evalSteps,
        Integer earlyStoppingPatience,
        Integer saveSteps,
        Path resumeFrom,
        Path outputDir,
        String device,
        String precision) {

    /** @param validation null when there is no validation file */
    public record Data(Path train, Path validation, DataFormat format) { }

    /** How the weights change: a closed set. */
    public sealed interface Method { }

    /**
     * @param targetModules projection names ({@code q_proj}, ... {@code down_proj}) or {@code all-linear}
     */
    public record Lora(int r, double alpha, double dropout, List<String> targetModules, boolean useRslora)
            implements Method {
        public Lora {
            targetModules = List.copyOf(targetModules);
        }

        /** PEFT's scaling: alpha / r, or alpha / sqrt(r) with rsLoRA. */
        public double scaling() {
            return useRslora ? alpha / Math.sqrt(r) : alpha / r;
        }
    }

    public record Full() implements Method { }

    /**
     * @param maxSteps      if set, exactly this many steps (overrides epochs), as transformers' max_steps
     * @param warmupSteps   warmup length; when null, {@code warmupRatio} of the total steps (rounded up)
     */
    public record Hyperparameters(
            int epochs,
            Integer maxSteps,
            int batchSize,
            int gradientAccumulationSteps,
            double learningRate,
            LrScheduler lrScheduler,
            Integer warmupSteps,
            double warmupRatio,
            double weightDecay,
            double maxGradNorm,
            int maxSeqLength,
            boolean packing,
            long seed) {

        public int warmupFor(long totalSteps) {
            return warmupSteps != null ? warmupSteps : (int) Math.ceil(warmupRatio * totalSteps);
        }
    }

    public enum LrScheduler {
        LINEAR, COSINE, CONSTANT
    }
}
