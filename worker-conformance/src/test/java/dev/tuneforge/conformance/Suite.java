package dev.tuneforge.conformance;

import dev.tuneforge.worker.fixture.JsonTask;
import dev.tuneforge.worker.fixture.PreferenceTask;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.protocol.DataFormat;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.GenerationParams;
import dev.tuneforge.worker.protocol.EvalSpec;
import dev.tuneforge.worker.protocol.TrainSpec;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.safetensors.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The runs several test classes look at, each started once per runtime and kept for the JVM: the LoRA run (on the
 * transformers-written fixture, with validation, evaluations and checkpoints every 4 of its 12 steps), the full
 * fine-tune (on a model {@link TinyLlamaWriter} writes, packed, no validation) and an evaluation of the djl LoRA
 * run's adapter; a DPO run on preference pairs and an evaluation of the djl DPO adapter on held-out pairs; a short
 * prompt-tuning run. Their
 * specs are what the stop-and-resume tests repeat, so an uninterrupted run is always at hand to
 * compare with. The data is the demo's JSON task ({@link JsonTask}); a launcher stages it into the work directory
 * and the spec names it relative to it, so the specs here do too.
 */
final class Suite {

    static final int LORA_STEPS = 12;
    /** Evaluations and checkpoints of the LoRA run. */
    static final int LORA_EVERY = 4;
    static final int TRAIN_EXAMPLES = 16;
    static final int VALIDATION_EXAMPLES = 4;
    static final int HELD_OUT_EXAMPLES = 4;
    static final int FULL_STEPS = 4;
    static final int FULL_SAVE_STEPS = 2;
    static final int MAX_NEW_TOKENS = 12;
    static final TrainSpec.Lora LORA = new TrainSpec.Lora(4, 8, 0.1, List.of("q_proj", "k_proj", "v_proj", "o_proj"),
            false);
    static final int DPO_STEPS = 6;
    /** Evaluations of the DPO run. */
    static final int DPO_EVERY = 3;
    static final int TRAIN_PAIRS = 16;
    static final int VALIDATION_PAIRS = 4;
    static final int HELD_OUT_PAIRS = 6;
    /** No dropout: the runtimes draw it differently, and the DPO runs are compared step by step. */
    static final TrainSpec.Dpo DPO = new TrainSpec.Dpo(new TrainSpec.Lora(4, 8, 0.0,
            List.of("q_proj", "k_proj", "v_proj", "o_proj"), false), 0.1, 0.1);

    static final int PROMPT_STEPS = 4;
    /** A soft prompt of 5 virtual tokens started from a text's embeddings. */
    static final TrainSpec.PromptTuning PROMPT_TUNING = new TrainSpec.PromptTuning(5, TrainSpec.PromptInit.TEXT,
            "Answer in JSON");

    private static final Map<Runtime, WorkerRun.Outcome> LORA_RUNS = new EnumMap<>(Runtime.class);
    private static final Map<Runtime, WorkerRun.Outcome> FULL_RUNS = new EnumMap<>(Runtime.class);
    private static final Map<Runtime, WorkerRun.Outcome> EVALUATIONS = new EnumMap<>(Runtime.class);
    private static final Map<Runtime, WorkerRun.Outcome> DPO_RUNS = new EnumMap<>(Runtime.class);
    private static final Map<Runtime, WorkerRun.Outcome> PREFERENCE_EVALUATIONS = new EnumMap<>(Runtime.class);
    private static final Map<Runtime, WorkerRun.Outcome> PROMPT_RUNS = new EnumMap<>(Runtime.class);
    private static Path data;
    private static Path tinyLlama;

    private Suite() {
    }

    /** The base of the LoRA runs: written by transformers, not by either runtime. */
    static Path fixtureModel() {
        return Conformance.fixture(Conformance.TINY_LLAMA_GQA);
    }

    /**
     * The base of the full fine-tunes: 2 layers, hidden 32, grouped-query attention, tied embeddings, and bfloat16
     * weights, as most published checkpoints have (a full fine-tune writes float32).
     */
    static synchronized Path tinyLlama() {
        if (tinyLlama == null) {
            tinyLlama = TinyLlamaWriter.write(Conformance.workspace("models", "tiny-llama"),
                    TinyLlamaWriter.Spec.small().withDtype(DType.BF16));
        }
        return tinyLlama;
    }

    /** The LoRA run's spec, for a work directory {@link #stageData} filled. */
    static TrainSpec loraSpec() {
        return loraSpec(fixtureModel(), null);
    }

    /** The LoRA run's spec on another base model, resuming from a checkpoint directory or {@code latest}. */
    static TrainSpec loraSpec(Path baseModel, Path resumeFrom) {
        var hp = new TrainSpec.Hyperparameters(3, LORA_STEPS, 2, 2, 1e-2, TrainSpec.LrScheduler.LINEAR, 2, 0.0, 0.01,
                1.0, 256, false, 11, false);
        return new TrainSpec(baseModel, new TrainSpec.Data(Path.of("train.jsonl"), Path.of("validation.jsonl"),
                DataFormat.CHAT), LORA, hp, LORA_EVERY, null, LORA_EVERY, resumeFrom, Path.of("out"), "cpu",
                TrainSpec.Precision.FP32);
    }

    static TrainSpec fullSpec() {
        var hp = new TrainSpec.Hyperparameters(1, FULL_STEPS, 2, 1, 1e-3, TrainSpec.LrScheduler.CONSTANT, 0, 0.0, 0.0,
                1.0, 128, true, 5, false);
        return new TrainSpec(tinyLlama(), new TrainSpec.Data(Path.of("train.jsonl"), null, DataFormat.CHAT),
                new TrainSpec.Full(), hp, null, null, FULL_SAVE_STEPS, null, Path.of("out"), "cpu",
                TrainSpec.Precision.FP32);
    }

    /**
     * DPO on {@link PreferenceTask} pairs, on the fixture: both answer shapes, validation every
     * {@value #DPO_EVERY} steps, label smoothing.
     */
    static TrainSpec dpoSpec() {
        var hp = new TrainSpec.Hyperparameters(3, DPO_STEPS, 2, 2, 1e-2, TrainSpec.LrScheduler.CONSTANT, 0, 0.0, 0.0,
                1.0, 256, false, 13, false);
        return new TrainSpec(fixtureModel(), new TrainSpec.Data(Path.of("pairs.jsonl"), Path.of("pairs-validation.jsonl"),
                DataFormat.PREFERENCE), DPO, hp, DPO_EVERY, null, null, null, Path.of("out"), "cpu",
                TrainSpec.Precision.FP32);
    }

    /** Prompt tuning on the fixture: {@value #PROMPT_STEPS} steps, no validation, a large learning rate. */
    static TrainSpec promptSpec() {
        var hp = new TrainSpec.Hyperparameters(1, PROMPT_STEPS, 2, 1, 5e-2, TrainSpec.LrScheduler.CONSTANT, 0, 0.0, 0.0,
                1.0, 256, false, 17, false);
        return new TrainSpec(fixtureModel(), new TrainSpec.Data(Path.of("train.jsonl"), null, DataFormat.CHAT),
                PROMPT_TUNING, hp, null, null, null, null, Path.of("out"), "cpu", TrainSpec.Precision.FP32);
    }

    static synchronized WorkerRun.Outcome promptTuning(Runtime runtime) {
        return once(PROMPT_RUNS, runtime, r -> WorkerRun.train(r, promptSpec(), stageData("prompt-tuning", r)));
    }

    static synchronized WorkerRun.Outcome dpo(Runtime runtime) {
        return once(DPO_RUNS, runtime, r -> WorkerRun.train(r, dpoSpec(), stageData("dpo", r)));
    }

    /** Greedy evaluation of the fixture + the djl DPO run's adapter on held-out pairs, the same for both. */
    static synchronized WorkerRun.Outcome preferenceEvaluation(Runtime runtime) {
        return once(PREFERENCE_EVALUATIONS, runtime, r -> {
            Path workdir = stageData("evaluate-pairs", r);
            copyTree(Path.of(dpo(Runtime.DJL).last(WorkerEvent.Finished.class).outputs().get("adapter")),
                    workdir.resolve("adapter"));
            return WorkerRun.evaluate(r, new EvalSpec(fixtureModel(), Path.of("adapter"), Path.of("pairs-heldout.jsonl"),
                    DataFormat.PREFERENCE, 256, GenerationParams.greedy(4), Path.of("eval/results.jsonl"), "cpu"),
                    workdir);
        });
    }

    /** The uninterrupted LoRA run of {@code runtime}; fails the caller unless it finished. */
    static synchronized WorkerRun.Outcome lora(Runtime runtime) {
        return once(LORA_RUNS, runtime, r -> WorkerRun.train(r, loraSpec(), stageData("lora", r)));
    }

    static synchronized WorkerRun.Outcome full(Runtime runtime) {
        return once(FULL_RUNS, runtime, r -> WorkerRun.train(r, fullSpec(), stageData("full", r)));
    }

    /** The djl LoRA run's adapter, staged into {@code workdir/adapter}. */
    static Path stageAdapter(Path workdir) {
        Path adapter = Path.of(lora(Runtime.DJL).last(WorkerEvent.Finished.class).outputs().get("adapter"));
        Path staged = workdir.resolve("adapter");
        copyTree(adapter, staged);
        return staged;
    }

    /** Greedy evaluation of the fixture + the djl LoRA run's adapter on held-out examples, the same for both. */
    static EvalSpec evalSpec() {
        return new EvalSpec(fixtureModel(), Path.of("adapter"), Path.of("heldout.jsonl"), DataFormat.CHAT, 256,
                GenerationParams.greedy(MAX_NEW_TOKENS), Path.of("eval/results.jsonl"), "cpu");
    }

    static synchronized WorkerRun.Outcome evaluation(Runtime runtime) {
        return once(EVALUATIONS, runtime, r -> {
            Path workdir = stageData("evaluate", r);
            stageAdapter(workdir);
            return WorkerRun.evaluate(r, evalSpec(), workdir);
        });
    }

    /** A fresh work directory {@code <name>/<runtime>} holding the task's train, validation and held-out files. */
    static Path stageData(String name, Runtime runtime) {
        Path workdir = Conformance.workspace(name, runtime.wireName());
        Path source = data();
        for (String file : List.of("train.jsonl", "validation.jsonl", "heldout.jsonl", "pairs.jsonl",
                "pairs-validation.jsonl", "pairs-heldout.jsonl")) {
            copy(source.resolve(file), workdir.resolve(file));
        }
        return workdir;
    }

    private static synchronized Path data() {
        if (data == null) {
            Path dir = Conformance.workspace("data");
            Set<String> seen = new HashSet<>();
            JsonTask.write(dir.resolve("train.jsonl"), TRAIN_EXAMPLES, 1, false, seen);
            JsonTask.write(dir.resolve("validation.jsonl"), VALIDATION_EXAMPLES, 2, false, seen);
            JsonTask.write(dir.resolve("heldout.jsonl"), HELD_OUT_EXAMPLES, 3, true, seen);
            Set<String> pairNames = new HashSet<>();
            PreferenceTask.write(dir.resolve("pairs.jsonl"), TRAIN_PAIRS, 4, false, pairNames);
            PreferenceTask.write(dir.resolve("pairs-validation.jsonl"), VALIDATION_PAIRS, 5, false, pairNames);
            PreferenceTask.write(dir.resolve("pairs-heldout.jsonl"), HELD_OUT_PAIRS, 6, true, pairNames);
            data = dir;
        }
        return data;
    }

    private static WorkerRun.Outcome once(Map<Runtime, WorkerRun.Outcome> runs, Runtime runtime,
                                          Function<Runtime, WorkerRun.Outcome> start) {
        WorkerRun.Outcome run = runs.get(runtime);
        if (run == null) {
            run = start.apply(runtime);
            runs.put(runtime, run);
        }
        return run.assertExit(ExitCode.DONE);
    }

    static void copyTree(Path from, Path to) {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    copy(f, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(Path from, Path to) {
        try {
            Files.createDirectories(to.getParent());
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
            // the fixtures are read-only; a copy is the test's to change
            to.toFile().setWritable(true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
