package dev.tuneforge.worker.protocol;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code worker train} is asked to do: the whole of {@code spec.json} ({@code schemas/train-spec.schema.json},
 * docs/WORKER_PROTOCOL.md). {@link SpecReader} builds it from JSON, validated, paths resolved against the work
 * directory; a service builds it directly and writes it with {@link SpecWriter}, paths as the worker is to see
 * them (relative ones resolve against its {@code --workdir}).
 *
 * @param evalSteps             validate every this many steps; null: only at the end
 * @param earlyStoppingPatience stop after this many evaluations without a better validation loss;
 *                              null: never
 * @param saveSteps             checkpoint every this many steps; null ({@code "save_steps": null}): only when
 *                              stopped
 * @param resumeFrom            a checkpoint directory, or {@code latest} (the newest checkpoint in the output
 *                              directory, if any), or null
 * @param device                {@code cpu}, {@code cuda}, {@code cuda:N} or {@code auto}
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
        Precision precision) {

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
     * Direct Preference Optimization of a LoRA adapter on preference pairs (docs/WORKER_PROTOCOL.md, "DPO"); the
     * reference is the base model.
     *
     * @param beta           how strongly the policy is held to the reference, > 0
     * @param labelSmoothing the assumed share of wrongly ordered pairs, in [0, 0.5)
     */
    public record Dpo(Lora lora, double beta, double labelSmoothing) implements Method { }

    /**
     * A LoRA adapter trained on a base quantised to 4-bit NF4 (docs/WORKER_PROTOCOL.md, "QLoRA"); the torch runtime
     * only. The adapter it writes is an ordinary LoRA adapter of the unquantised base.
     *
     * @param doubleQuant quantise the NF4 blocks' scales to 8 bits too
     */
    public record Qlora(Lora lora, boolean doubleQuant) implements Method { }

    /**
     * Prompt tuning (Lester et al., 2021): a soft prompt of {@code numVirtualTokens} trained embeddings put before
     * every example's tokens, the model frozen; saved in PEFT's {@code PROMPT_TUNING} layout.
     *
     * @param init     where the soft prompt starts: {@link PromptInit#TEXT} the embeddings of {@code initText}'s
     *                 tokens (repeated or cut to {@code numVirtualTokens}), {@link PromptInit#RANDOM} PEFT's random
     *                 embedding
     * @param initText the text to start from; null unless {@code init} is {@link PromptInit#TEXT}
     */
    public record PromptTuning(int numVirtualTokens, PromptInit init, String initText) implements Method { }

    /** Where a soft prompt starts (PEFT's {@code prompt_tuning_init}). */
    public enum PromptInit {
        RANDOM, TEXT;

        public String wireName() {
            return WireNames.of(this);
        }
    }

    /**
     * Prefix tuning (Li and Liang, 2021): {@code numVirtualTokens} trained keys and values put before every
     * layer's attention, the model frozen; saved in PEFT's {@code PREFIX_TUNING} layout.
     *
     * @param prefixProjection  train the prefix through a two-layer MLP (PEFT's reparameterisation) instead of
     *                          directly
     * @param encoderHiddenSize that MLP's hidden width; null: the model's hidden size. Only with
     *                          {@code prefixProjection}
     */
    public record PrefixTuning(int numVirtualTokens, boolean prefixProjection, Integer encoderHiddenSize)
            implements Method { }

    /**
     * @param maxSteps              if set, exactly this many steps (overrides epochs), as transformers' max_steps
     * @param warmupSteps           warmup length; when null, {@code warmupRatio} of the total steps (rounded up)
     * @param gradientCheckpointing recompute activations in backward instead of keeping them (less memory, more
     *                              compute); the djl runtime refuses it
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
            long seed,
            boolean gradientCheckpointing) {

        public int warmupFor(long totalSteps) {
            return warmupSteps != null ? warmupSteps : (int) Math.ceil(warmupRatio * totalSteps);
        }
    }

    public enum LrScheduler {
        LINEAR, COSINE, CONSTANT;

        public String wireName() {
            return WireNames.of(this);
        }

        /** The scheduler named {@code linear}, {@code cosine} or {@code constant}. */
        public static LrScheduler fromWireName(String name) {
            return WireNames.parse(LrScheduler.class, name);
        }
    }

    /** The dtype weights and activations train in. */
    public enum Precision {
        FP32, BF16, FP16;

        public String wireName() {
            return WireNames.of(this);
        }
    }
}
