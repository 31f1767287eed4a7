package dev.tuneforge.worker.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Map;

/**
 * What the worker reports on stdout, one JSON object per line, {@code "event"} naming the kind
 * (docs/WORKER_PROTOCOL.md). Field names are snake_case on the wire.
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
     * @param resumedFromStep the checkpoint's step when resuming, else 0
     */
    record Started(String command, String runtime, String device, long totalSteps, int trainExamples,
                   Integer validationExamples, long trainableParameters, long resumedFromStep)
            implements WorkerEvent { }

    /** After every optimizer step. {@code trainLoss} is the step's mean token loss. */
    record Progress(long step, long totalSteps, double epoch, double trainLoss, double learningRate,
                    double gradNorm, double tokensPerSecond, double etaSeconds) implements WorkerEvent { }

    /** Validation at {@code step}: mean token loss and next-token accuracy over the assistant tokens. */
    record Eval(long step, double validLoss, double tokenAccuracy) implements WorkerEvent { }

    record Checkpoint(long step, String dir) implements WorkerEvent { }

    /** SIGTERM: the checkpoint to resume from was written; exit code 143 follows. */
    record Stopped(long step, String checkpoint, String reason) implements WorkerEvent { }

    /**
     * {@code worker serve} is listening: the OpenAI-compatible API is at {@code url} ({@code .../v1}) and
     * answers for {@code model}. {@code port} is the bound port, useful when port 0 was asked for.
     */
    record Serving(String host, int port, String model, String url) implements WorkerEvent { }

    /**
     * The run is over. {@code outputs} names directories ({@code adapter} or {@code model},
     * {@code results}); {@code bestStep} is the step whose weights are in them.
     */
    record Finished(long bestStep, Map<String, String> outputs, Map<String, Object> metrics)
            implements WorkerEvent { }

    /** {@code code}: bad_spec, bad_data, out_of_resources or internal; {@code exitCode} follows. */
    record Failed(String code, int exitCode, String message) implements WorkerEvent { }
}
