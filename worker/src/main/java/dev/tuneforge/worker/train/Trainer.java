package dev.tuneforge.worker.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.tuneforge.worker.adapter.SoftPrompt;
import dev.tuneforge.worker.data.DataException;
import dev.tuneforge.worker.data.DatasetReader;
import dev.tuneforge.worker.data.Example;
import dev.tuneforge.worker.data.ExampleEncoder;
import dev.tuneforge.worker.data.TokenizedExample;
import dev.tuneforge.worker.data.TokenizedPair;
import dev.tuneforge.worker.data.TrainingPlan;
import dev.tuneforge.worker.lora.LoraModel;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.model.ModelConfigException;
import dev.tuneforge.worker.EventSink;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.TrainSpec;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.WorkerFailure;
import dev.tuneforge.tokenizer.HfTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code worker train}: reads the data, attaches the method's trainable weights, and runs the plan's
 * steps: per micro-batch a forward and backward pass of the method's {@link Objective} into accumulated
 * gradients, then clipping, the scheduled learning rate and an AdamW update. Validates, checkpoints and stops on
 * request between steps; reports everything as events. DPO trains a LoRA adapter on pairs, against reference
 * log-probabilities computed once with the base model ({@link ReferenceLogps}). Prompt tuning trains a soft prompt
 * ({@link SoftPrompt}) the model puts before every example, one example a row.
 */
public final class Trainer {

    private final TrainSpec spec;
    private final EventSink events;
    private final StopSignal stop;

    public Trainer(TrainSpec spec, EventSink events, StopSignal stop) {
        this.spec = spec;
        this.events = events;
        this.stop = stop;
    }

    /**
     * Runs to the end ({@link ExitCode#DONE}), or until stopped ({@link ExitCode#TERMINATED}); failures are thrown
     * as {@link WorkerFailure}. Refuses what the spec may ask for and this runtime cannot do.
     */
    public ExitCode run() {
        if (spec.precision() != TrainSpec.Precision.FP32) {
            throw WorkerFailure.badSpec("precision: the djl runtime trains in fp32 only, got "
                    + spec.precision().wireName());
        }
        if (spec.method() instanceof TrainSpec.Qlora) {
            // No 4-bit NF4 weights in this runtime; the torch runtime (worker/python) has them.
            throw WorkerFailure.badSpec("method.type: qlora needs the torch runtime");
        }
        if (spec.method() instanceof TrainSpec.PrefixTuning) {
            // Prefix keys and values would need a KV cache seeded per layer in every forward; the torch runtime has it.
            throw WorkerFailure.badSpec("method.type: prefix_tuning needs the torch runtime");
        }
        TrainSpec.Hyperparameters hp = spec.hyperparameters();
        if (hp.gradientCheckpointing()) {
            throw WorkerFailure.badSpec("hyperparameters.gradient_checkpointing: the djl runtime does not support "
                    + "gradient_checkpointing");
        }
        try (NDManager root = NDManager.newBaseManager(Devices.resolve(spec.device()), "PyTorch");
             HfTokenizer tokenizer = loadTokenizer();
             LlamaModel model = loadModel(root)) {
            ExampleEncoder encoder = new ExampleEncoder(tokenizer, hp.maxSeqLength());
            long padId = padId(tokenizer);
            int maxSteps = hp.maxSteps() == null ? 0 : hp.maxSteps();
            if (spec.method() instanceof TrainSpec.Dpo dpo) {
                List<TokenizedPair> train = encodePairs(encoder, spec.data().train());
                List<TokenizedPair> validation = spec.data().validation() == null ? List.of()
                        : encodePairs(encoder, spec.data().validation());
                // B is zero when attached, so until the first step the policy is the base model: the reference.
                TrainedWeights weights = new AdapterWeights(LoraModel.attach(model, dpo.lora(), hp.seed()),
                        spec.baseModel().toString());
                ReferenceLogps reference = ReferenceLogps.loadOrCompute(spec.outputDir(), train, validation,
                        pairs -> PairScorer.score(model, pairs, hp.batchSize(), padId));
                // Packing does not apply: a row is one pair.
                TrainingPlan plan = TrainingPlan.build(train.stream().map(TokenizedPair::joined).toList(),
                        hp.epochs(), maxSteps, hp.batchSize(), hp.gradientAccumulationSteps(), false,
                        hp.maxSeqLength(), hp.seed());
                Objective objective = new DpoObjective(model, train, validation, reference,
                        new DpoLoss(dpo.beta(), dpo.labelSmoothing()), hp.batchSize(), padId);
                return new Run(model, weights, plan, objective, root).execute();
            }
            List<TokenizedExample> train = encode(encoder, spec.data().train());
            List<TokenizedExample> validation = spec.data().validation() == null ? List.of()
                    : encode(encoder, spec.data().validation());
            TrainedWeights weights = switch (spec.method()) {
                case TrainSpec.Lora lora -> new AdapterWeights(LoraModel.attach(model, lora, hp.seed()),
                        spec.baseModel().toString());
                case TrainSpec.Full full -> new FullWeights(model, spec.baseModel());
                case TrainSpec.Dpo dpo -> throw new IllegalStateException("trained above");
                case TrainSpec.Qlora qlora -> throw new IllegalStateException("refused above");
                case TrainSpec.PromptTuning prompt -> new AdapterWeights(attachPrompt(model, tokenizer, prompt),
                        spec.baseModel().toString());
                case TrainSpec.PrefixTuning prefix -> throw new IllegalStateException("refused above");
            };
            // The virtual tokens come before each example, so a row is one example: packing does not apply.
            boolean packing = hp.packing() && !(spec.method() instanceof TrainSpec.PromptTuning);
            TrainingPlan plan = TrainingPlan.build(train, hp.epochs(), maxSteps, hp.batchSize(),
                    hp.gradientAccumulationSteps(), packing, hp.maxSeqLength(), hp.seed());
            Objective objective = new TokenObjective(model, train, validation, hp.batchSize(), padId);
            return new Run(model, weights, plan, objective, root).execute();
        }
    }

    private SoftPrompt attachPrompt(LlamaModel model, HfTokenizer tokenizer, TrainSpec.PromptTuning prompt) {
        try {
            return SoftPrompt.attach(model, prompt, tokenizer, spec.hyperparameters().seed());
        } catch (IllegalArgumentException e) {
            throw WorkerFailure.badSpec(e.getMessage());
        }
    }

    private HfTokenizer loadTokenizer() {
        try {
            return HfTokenizer.load(spec.baseModel());
        } catch (RuntimeException e) {
            throw WorkerFailure.badSpec("base_model: " + e.getMessage());
        }
    }

    private LlamaModel loadModel(NDManager root) {
        try {
            return LlamaModel.load(spec.baseModel(), root);
        } catch (ModelConfigException | UncheckedIOException e) {
            throw WorkerFailure.badSpec("base_model: " + e.getMessage());
        }
    }

    private List<TokenizedExample> encode(ExampleEncoder encoder, Path file) {
        return read(file).stream().map(encoder::encode).toList();
    }

    private List<TokenizedPair> encodePairs(ExampleEncoder encoder, Path file) {
        return read(file).stream().map(e -> encoder.encodePair((Example.Preference) e)).toList();
    }

    private List<Example> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw WorkerFailure.badData(file + ": no such file", null);
        }
        try {
            return DatasetReader.read(file, spec.data().format());
        } catch (DataException e) {
            throw WorkerFailure.badData(e.getMessage(), e);
        }
    }

    /** The id padding uses: the pad token, else eos, else 0; padded positions never carry a loss. */
    public static long padId(HfTokenizer tokenizer) {
        return tokenizer.tokenId(tokenizer.specialTokens().pad())
                .or(() -> tokenizer.tokenId(tokenizer.specialTokens().eos()))
                .orElse(0L);
    }

    /** One run's mutable state. */
    private final class Run {
        private final LlamaModel model;
        private final TrainedWeights weights;
        private final TrainingPlan plan;
        private final Objective objective;
        private final AdamW optimizer;
        private final LrSchedule schedule;
        private final List<Map<String, Object>> logHistory = new ArrayList<>();
        private long step;
        private long bestStep = -1;
        private Double bestLoss;
        private int evalsWithoutImprovement;
        private long lastEvalStep = -1;
        private Path lastCheckpoint;

        Run(LlamaModel model, TrainedWeights weights, TrainingPlan plan, Objective objective, NDManager root) {
            this.model = model;
            this.weights = weights;
            this.plan = plan;
            this.objective = objective;
            TrainSpec.Hyperparameters hp = spec.hyperparameters();
            this.optimizer = new AdamW(weights.parameters(), hp.weightDecay(), root.newSubManager());
            long total = plan.steps().size();
            this.schedule = new LrSchedule(hp.lrScheduler(), hp.learningRate(), hp.warmupFor(total), total);
        }

        ExitCode execute() {
            long resumedFrom = resume();
            long total = plan.steps().size();
            boolean validating = objective.validationSize() > 0;
            events.emit(new WorkerEvent.Started("train", "djl", spec.device(), total, objective.trainSize(),
                    validating ? objective.validationSize() : null, weights.parameters().count(), resumedFrom));
            long startedAt = System.nanoTime();
            long stepsThisSession = 0;
            boolean early = false;
            while (step < total) {
                if (stop.requested()) {
                    return stopped();
                }
                TrainingPlan.Step planned = plan.steps().get((int) step);
                long t0 = System.nanoTime();
                StepResult result = trainStep(planned);
                step++;
                stepsThisSession++;
                double seconds = (System.nanoTime() - t0) / 1e9;
                double perStep = (System.nanoTime() - startedAt) / 1e9 / stepsThisSession;
                Objective.StepLoss loss = result.loss();
                events.emit(new WorkerEvent.Progress(step, total, planned.epochProgress(), loss.loss(),
                        result.learningRate(), result.gradNorm(), loss.tokens() / seconds,
                        perStep * (total - step), loss.rewardAccuracy(), loss.rewardMargin()));
                log(Map.of("step", step, "epoch", planned.epochProgress(), "loss", loss.loss(),
                        "learning_rate", result.learningRate(), "grad_norm", result.gradNorm()));
                if (validating && spec.evalSteps() != null && step % spec.evalSteps() == 0) {
                    early = evaluate();
                }
                if (spec.saveSteps() != null && step % spec.saveSteps() == 0) {
                    checkpoint();
                }
                if (early) {
                    break;
                }
            }
            if (validating && lastEvalStep != step) {
                evaluate();
            }
            if (!validating) {
                writeOutput();
                bestStep = step;
            }
            Path stateFile = writeTrainerState(spec.outputDir());
            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("global_step", step);
            metrics.put("early_stopped", early);
            logHistory.stream().filter(e -> e.containsKey("loss")).reduce((a, b) -> b)
                    .ifPresent(e -> metrics.put("train_loss", e.get("loss")));
            if (bestLoss != null) {
                metrics.put("best_valid_loss", bestLoss);
            }
            logHistory.stream().filter(e -> e.containsKey("eval_loss")).reduce((a, b) -> b).ifPresent(e -> {
                metrics.put("valid_loss", e.get("eval_loss"));
                metrics.put("token_accuracy", e.get("eval_token_accuracy"));
            });
            events.emit(new WorkerEvent.Finished(bestStep, Map.of(weights.outputKind(),
                    outputDir().toString(), "trainer_state", stateFile.toString()), metrics));
            return ExitCode.DONE;
        }

        private long resume() {
            Path from = spec.resumeFrom();
            if (from == null) {
                return 0;
            }
            if (from.getFileName().toString().equals("latest") && !Files.exists(from)) {
                from = TrainingCheckpoint.latest(spec.outputDir()).orElse(null);
                if (from == null) {
                    return 0;
                }
            }
            if (!Files.isRegularFile(from.resolve(TrainingCheckpoint.STATE_FILE))) {
                throw WorkerFailure.badSpec("resume_from: " + from + " is not a checkpoint directory");
            }
            CheckpointState state = TrainingCheckpoint.readState(from);
            if (!state.planFingerprint().equals(plan.fingerprint())) {
                throw WorkerFailure.badSpec("resume_from: " + from + " was written for other data or batching");
            }
            TrainingCheckpoint.load(from, weights, optimizer);
            step = state.globalStep();
            bestStep = state.bestStep();
            bestLoss = state.bestValidLoss();
            evalsWithoutImprovement = state.evalsWithoutImprovement();
            logHistory.addAll(state.logHistory());
            lastCheckpoint = from;
            return step;
        }

        private StepResult trainStep(TrainingPlan.Step planned) {
            TrainSpec.Hyperparameters hp = spec.hyperparameters();
            weights.setTraining(true);
            // Dropout draws from libtorch's generator, reseeded per micro-batch from (seed, step, i) so that a
            // resumed run draws what the uninterrupted one did.
            Objective.StepLoss loss = objective.backward(planned.microBatches(), i -> Engine.getEngine("PyTorch")
                    .setRandomSeed(Long.hashCode(hp.seed() * 1_000_003L + step * 1_009L + i)));
            weights.setTraining(false);
            double lr = schedule.at(step);
            double norm;
            try (NDManager scratch = model.manager().newSubManager()) {
                norm = GradientClipping.clip(weights.parameters(), hp.maxGradNorm(), scratch);
                optimizer.step(lr, scratch);
            }
            weights.parameters().zeroGradients();
            return new StepResult(loss, lr, norm);
        }

        /** Validates, keeps the best weights, and says whether early stopping ends the run. */
        private boolean evaluate() {
            Objective.Validated r = objective.validate();
            lastEvalStep = step;
            events.emit(new WorkerEvent.Eval(step, r.loss(), r.tokenAccuracy(), r.rewardAccuracy(),
                    r.rewardMargin()));
            log(Map.of("step", step, "eval_loss", r.loss(), "eval_token_accuracy", r.tokenAccuracy()));
            if (bestLoss == null || r.loss() < bestLoss) {
                bestLoss = r.loss();
                bestStep = step;
                evalsWithoutImprovement = 0;
                writeOutput();
                return false;
            }
            evalsWithoutImprovement++;
            return spec.earlyStoppingPatience() != null && evalsWithoutImprovement >= spec.earlyStoppingPatience();
        }

        private Path checkpoint() {
            TrainingPlan.Step last = plan.steps().get((int) step - 1);
            CheckpointState state = new CheckpointState(step, last.epoch(), last.indexInEpoch() + 1,
                    spec.hyperparameters().seed(), plan.fingerprint(), optimizer.stepCount(), step, bestStep,
                    bestLoss, evalsWithoutImprovement, logHistory);
            lastCheckpoint = TrainingCheckpoint.save(spec.outputDir(), weights, optimizer, state);
            writeTrainerState(lastCheckpoint);
            events.emit(new WorkerEvent.Checkpoint(step, lastCheckpoint.toString()));
            return lastCheckpoint;
        }

        private ExitCode stopped() {
            Path resumable = lastCheckpoint;
            if (step > 0 && (resumable == null || !resumable.getFileName().toString().equals("checkpoint-" + step))) {
                resumable = checkpoint();
            }
            events.emit(new WorkerEvent.Stopped(step, resumable == null ? null : resumable.toString(), "SIGTERM"));
            return ExitCode.TERMINATED;
        }

        private Path outputDir() {
            return spec.outputDir().resolve(weights.outputKind());
        }

        /** Replaces the output weights with the current ones, never leaving a half-written directory. */
        private void writeOutput() {
            Path target = outputDir();
            Path temporary = spec.outputDir().resolve("." + weights.outputKind() + ".tmp");
            try {
                TrainingCheckpoint.deleteRecursively(temporary);
                weights.save(temporary);
                TrainingCheckpoint.deleteRecursively(target);
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + target, e);
            }
        }

        private Path writeTrainerState(Path dir) {
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("global_step", step);
            state.put("max_steps", plan.steps().size());
            state.put("best_step", bestStep < 0 ? null : bestStep);
            state.put("best_metric", bestLoss);
            state.put("log_history", logHistory);
            Path file = dir.resolve("trainer_state.json");
            try {
                Files.createDirectories(dir);
                EventSink.JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), state);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
            return file;
        }

        private void log(Map<String, Object> entry) {
            logHistory.add(new LinkedHashMap<>(entry));
        }
    }

    private record StepResult(Objective.StepLoss loss, double learningRate, double gradNorm) { }
}
