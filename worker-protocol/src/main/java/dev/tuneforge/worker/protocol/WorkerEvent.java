package dev.tuneforge.worker.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a worker reports on stdout, one JSON object per line, {@code "event"} naming the kind
 * (docs/WORKER_PROTOCOL.md, "Events"; {@code schemas/events.schema.json}). A closed set: a consumer switches over
 * it and the compiler tells it when a kind is added. Field names are snake_case on the wire; {@link EventLines}
 * writes and reads them. Boxed components are optional on the wire (absent when null), primitive ones required.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "event")
@JsonSubTypes({
    @JsonSubTypes.Type(value = WorkerEvent.Started.class, name = "started"),
    @JsonSubTypes.Type(value = WorkerEvent.Progress.class, name = "progress"),
    @JsonSubTypes.Type(value = WorkerEvent.Eval.class, name = "eval"),
    @JsonSubTypes.Type(value = WorkerEvent.Checkpoint.class, name = "checkpoint"),
    @JsonSubTypes.Type(value = WorkerEvent.Stopped.class, name = "stopped"),
    @JsonSubTypes.Type(value = WorkerEvent.Serving.class, name = "serving"),
    @JsonSubTypes.Type(value = WorkerEvent.Finished.class, name = "finished"),
    @JsonSubTypes.Type(value = WorkerEvent.Failed.class, name = "failed")
})
public sealed interface WorkerEvent {

    /**
     * The spec was accepted and the data read.
     *
     * @param command            {@code train} or {@code evaluate}
     * @param runtime            {@code djl} or {@code torch}
     * @param validationExamples null without validation data
     * @param resumedFromStep    the checkpoint's step when resuming, else 0
     * @param worldSize          how many training processes run (torch runtime); null: one
     */
    record Started(String command, String runtime, String device, long totalSteps, int trainExamples,
                   Integer validationExamples, long trainableParameters, long resumedFromStep, Integer worldSize)
            implements WorkerEvent {

        /** A single-process start, as the djl runtime reports it. */
        public Started(String command, String runtime, String device, long totalSteps, int trainExamples,
                       Integer validationExamples, long trainableParameters, long resumedFromStep) {
            this(command, runtime, device, totalSteps, trainExamples, validationExamples, trainableParameters,
                    resumedFromStep, null);
        }
    }

    /**
     * After every optimizer step (for {@code evaluate}: every batch of examples, {@code step} counting examples).
     * {@code trainLoss} is the step's mean token loss (DPO: mean pair loss), {@code gradNorm} the norm before
     * clipping.
     *
     * @param rewardAccuracy DPO only: share of the step's pairs whose chosen reward is above the rejected one
     * @param rewardMargin   DPO only: mean chosen minus rejected reward
     */
    record Progress(long step, long totalSteps, double epoch, double trainLoss, double learningRate,
                    double gradNorm, double tokensPerSecond, double etaSeconds, Double rewardAccuracy,
                    Double rewardMargin) implements WorkerEvent {

        /** A step of a method without rewards. */
        public Progress(long step, long totalSteps, double epoch, double trainLoss, double learningRate,
                        double gradNorm, double tokensPerSecond, double etaSeconds) {
            this(step, totalSteps, epoch, trainLoss, learningRate, gradNorm, tokensPerSecond, etaSeconds, null, null);
        }
    }

    /**
     * Validation at {@code step}: mean token loss (DPO: mean pair loss) and next-token accuracy over the target
     * tokens; for DPO also the reward accuracy and margin over the validation pairs (else null).
     */
    record Eval(long step, double validLoss, double tokenAccuracy, Double rewardAccuracy, Double rewardMargin)
            implements WorkerEvent {

        /** A validation of a method without rewards. */
        public Eval(long step, double validLoss, double tokenAccuracy) {
            this(step, validLoss, tokenAccuracy, null, null);
        }
    }

    /** {@code dir} holds a complete checkpoint of {@code step}. */
    record Checkpoint(long step, String dir) implements WorkerEvent { }

    /**
     * SIGTERM: the checkpoint to resume from was written; {@link ExitCode#TERMINATED} follows.
     *
     * @param checkpoint null when there is none ({@code serve}, or stopped before the first step)
     */
    record Stopped(long step, String checkpoint, String reason) implements WorkerEvent { }

    /**
     * {@code worker serve} is listening: the OpenAI-compatible API is at {@code url} ({@code .../v1}) and
     * answers for {@code model}. {@code port} is the bound port, useful when port 0 was asked for.
     */
    record Serving(String host, int port, String model, String url) implements WorkerEvent { }

    /**
     * The run is over. {@code outputs} names files and directories ({@code adapter} or {@code model},
     * {@code trainer_state}; {@code results} for evaluate); {@code bestStep} is the step whose weights are in them.
     */
    record Finished(long bestStep, Map<String, String> outputs, Map<String, Object> metrics)
            implements WorkerEvent {

        /** A line without {@code outputs} or {@code metrics} reads as having none. */
        public Finished {
            outputs = outputs == null ? Map.of() : outputs;
            metrics = metrics == null ? Map.of() : metrics;
        }

        /** The metrics that are numbers ({@code early_stopped}, a boolean, is not). */
        public Map<String, Double> numericMetrics() {
            Map<String, Double> numbers = new LinkedHashMap<>();
            metrics.forEach((name, value) -> {
                if (value instanceof Number n) {
                    numbers.put(name, n.doubleValue());
                }
            });
            return numbers;
        }
    }

    /**
     * The worker gives up; it exits with {@code exitCode} next ({@code code.exitCode()}'s status).
     *
     * @param exitCode the status that follows, on the wire as a number
     */
    record Failed(FailureCode code, int exitCode, String message) implements WorkerEvent {

        /** A line without a code reads as {@link FailureCode#INTERNAL}, as one with an unknown code does. */
        public Failed {
            code = code == null ? FailureCode.INTERNAL : code;
        }

        public Failed(FailureCode code, String message) {
            this(code, code.exitCode().status(), message);
        }

        /** {@code bad_spec: hyperparameters.learning_rate: must be > 0 ...}. */
        public String describe() {
            return code.wireName() + ": " + message;
        }
    }
}
