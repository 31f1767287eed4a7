package dev.tuneforge.gateway.openai;

import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.TrainingCancelRequested;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingFailed;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingPauseRequested;
import dev.tuneforge.events.TrainingPaused;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingResumeRequested;
import dev.tuneforge.events.TrainingResumed;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.events.TuneforgeEvent;
import dev.tuneforge.gateway.domain.EventView;
import dev.tuneforge.gateway.openai.JobRequestStore.JobRequest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A job's events as OpenAI's API lists them, newest first: the platform's events of the job (request, start,
 * a {@code metrics} event per training step, checkpoints, outcome, evaluation), each with id {@code ftevent-{seq}},
 * and for a job created through {@code /v1} the events of its files' validation, which happen before the job exists
 * for trainer-service: created and validating (the oldest), and failed or cancelled there.
 */
final class JobEvents {

    private static final String PREFIX = "ftevent-";

    private JobEvents() {
    }

    /** The event a platform event is for this job's list, or empty for one that says nothing to its owner. */
    static Optional<JobEvent> of(EventView view) {
        Optional<EventType> type = EventType.byName(view.type());
        if (type.isEmpty()) {
            return Optional.empty();
        }
        TuneforgeEvent event = EventCodec.read(type.get(), view.data().toString());
        long time = view.time().toEpochSecond();
        String id = PREFIX + view.seq();
        return Optional.ofNullable(switch (event) {
            case TrainingRequested r -> message(id, time, "info", "Fine-tuning job queued: " + r.method() + " of "
                    + r.baseModel() + " on dataset " + r.datasetId() + " version " + r.datasetVersion());
            case TrainingStarted s -> message(id, time, "info", "Fine-tuning job started (attempt " + s.attempt()
                    + (s.resumedFromStep() == null ? "" : ", resumed from step " + s.resumedFromStep())
                    + (s.retryReason() == null ? "" : ", after " + s.retryReason()) + ")");
            case TrainingProgress p -> metrics(id, time, p);
            case CheckpointSaved c -> message(id, time, "info", "Checkpoint created at step " + c.step());
            case TrainingFinished f -> message(id, time, "info", "The job has successfully completed");
            case TrainingFailed f -> message(id, time, "error", "The job failed: " + f.message() + " (" + f.code()
                    + ", after " + f.attempts() + " attempt" + (f.attempts() == 1 ? "" : "s") + ")");
            case TrainingCancelled c -> message(id, time, "info", "Fine-tuning job cancelled");
            case TrainingPaused p -> message(id, time, "info", "Fine-tuning job paused"
                    + (p.lastCheckpointStep() == null ? "" : " at the checkpoint of step " + p.lastCheckpointStep()));
            case TrainingResumed r -> message(id, time, "info", "Fine-tuning job resumed");
            case TrainingCancelRequested r -> message(id, time, "info", "Cancellation requested");
            case TrainingPauseRequested r -> message(id, time, "info", "Pause requested");
            case TrainingResumeRequested r -> message(id, time, "info", "Resume requested");
            case EvalPassed p -> message(id, time, "info", "Evaluation " + p.evalId() + " passed the gate");
            case EvalFailed f -> message(id, time, "warn", "Evaluation " + f.evalId() + " failed the gate: "
                    + f.reason());
            default -> null;
        });
    }

    /** The seq an {@code after} of a platform event names, or null when it names another kind of event. */
    static Long seqOf(String eventId) {
        if (eventId == null || !eventId.startsWith(PREFIX)) {
            return null;
        }
        try {
            return Long.parseLong(eventId.substring(PREFIX.length()));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The newest events of a /v1 job's file validation: failed or cancelled there, if it was. */
    static List<JobEvent> validationOutcome(JobRequest request) {
        String id = PREFIX + request.jobId() + "-";
        long time = request.updatedAt().toEpochSecond();
        return switch (request.state()) {
            case JobRequestStore.FAILED -> List.of(message(id + "failed", time, "error",
                    "Files validation failed: " + request.errorMessage()));
            case JobRequestStore.CANCELLED -> List.of(message(id + "cancelled", time, "info",
                    "Fine-tuning job cancelled"));
            default -> List.of();
        };
    }

    /** The oldest events of a /v1 job, newest first: validating its files, created. */
    static List<JobEvent> creation(JobRequest request) {
        String id = PREFIX + request.jobId() + "-";
        long time = request.createdAt().toEpochSecond();
        List<JobEvent> events = new ArrayList<>();
        events.add(message(id + "validating", time, "info", "Validating training file: " + request.trainingFile()
                + (request.validationFile() == null ? "" : " and validation file: " + request.validationFile())));
        events.add(message(id + "created", time, "info", "Created fine-tuning job: " + request.jobId()));
        return events;
    }

    private static JobEvent message(String id, long time, String level, String message) {
        return new JobEvent(id, "fine_tuning.job.event", time, level, message, Map.of(), "message");
    }

    private static JobEvent metrics(String id, long time, TrainingProgress p) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("step", p.step());
        data.put("total_steps", p.totalSteps());
        data.put("train_loss", p.trainLoss());
        data.put("learning_rate", p.learningRate());
        if (p.validLoss() != null) {
            data.put("valid_loss", p.validLoss());
        }
        if (p.validTokenAccuracy() != null) {
            data.put("valid_mean_token_accuracy", p.validTokenAccuracy());
        }
        String message = String.format(Locale.ROOT, "Step %d/%d: training loss=%.4f", p.step(), p.totalSteps(),
                p.trainLoss()) + (p.validLoss() == null ? "" : String.format(Locale.ROOT, ", validation loss=%.4f",
                p.validLoss()));
        return new JobEvent(id, "fine_tuning.job.event", time, "info", message, data, "metrics");
    }
}
