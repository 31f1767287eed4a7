package dev.tuneforge.events;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The catalogue: every event's CloudEvents type name ({@code dev.tuneforge.<noun>.<verb>.v<N>}),
 * its record and the topic it travels on.
 */
public enum EventType {
    DATASET_UPLOADED("dev.tuneforge.dataset.uploaded.v1", DatasetUploaded.class, Topics.DATASETS),
    DATASET_READY("dev.tuneforge.dataset.ready.v1", DatasetReady.class, Topics.DATASETS),
    DATASET_REJECTED("dev.tuneforge.dataset.rejected.v1", DatasetRejected.class, Topics.DATASETS),

    TRAINING_REQUESTED("dev.tuneforge.training.requested.v1", TrainingRequested.class, Topics.COMMANDS),
    TRAINING_CANCEL_REQUESTED("dev.tuneforge.training.cancel-requested.v1", TrainingCancelRequested.class, Topics.COMMANDS),
    TRAINING_PAUSE_REQUESTED("dev.tuneforge.training.pause-requested.v1", TrainingPauseRequested.class, Topics.COMMANDS),
    TRAINING_RESUME_REQUESTED("dev.tuneforge.training.resume-requested.v1", TrainingResumeRequested.class, Topics.COMMANDS),
    TRAINING_STARTED("dev.tuneforge.training.started.v1", TrainingStarted.class, Topics.TRAINING),
    TRAINING_PROGRESS("dev.tuneforge.training.progress.v1", TrainingProgress.class, Topics.TRAINING),
    CHECKPOINT_SAVED("dev.tuneforge.training.checkpoint-saved.v1", CheckpointSaved.class, Topics.TRAINING),
    TRAINING_FINISHED("dev.tuneforge.training.finished.v1", TrainingFinished.class, Topics.TRAINING),
    TRAINING_FAILED("dev.tuneforge.training.failed.v1", TrainingFailed.class, Topics.TRAINING),
    TRAINING_CANCELLED("dev.tuneforge.training.cancelled.v1", TrainingCancelled.class, Topics.TRAINING),
    TRAINING_PAUSED("dev.tuneforge.training.paused.v1", TrainingPaused.class, Topics.TRAINING),
    TRAINING_RESUMED("dev.tuneforge.training.resumed.v1", TrainingResumed.class, Topics.TRAINING),
    SWEEP_REQUESTED("dev.tuneforge.sweep.requested.v1", SweepRequested.class, Topics.COMMANDS),
    SWEEP_FINISHED("dev.tuneforge.sweep.finished.v1", SweepFinished.class, Topics.TRAINING),

    EVAL_PASSED("dev.tuneforge.eval.passed.v1", EvalPassed.class, Topics.EVAL),
    EVAL_FAILED("dev.tuneforge.eval.failed.v1", EvalFailed.class, Topics.EVAL),

    PROMOTION_REQUESTED("dev.tuneforge.model.promotion-requested.v1", PromotionRequested.class, Topics.COMMANDS),
    ROLLBACK_REQUESTED("dev.tuneforge.model.rollback-requested.v1", RollbackRequested.class, Topics.COMMANDS),
    ARCHIVE_REQUESTED("dev.tuneforge.model.archive-requested.v1", ModelArchiveRequested.class, Topics.COMMANDS),
    MODEL_REGISTERED("dev.tuneforge.model.registered.v1", ModelRegistered.class, Topics.REGISTRY),
    MODEL_PROMOTED("dev.tuneforge.model.promoted.v1", ModelPromoted.class, Topics.REGISTRY),
    MODEL_ROLLED_BACK("dev.tuneforge.model.rolled-back.v1", ModelRolledBack.class, Topics.REGISTRY),
    MODEL_ARCHIVED("dev.tuneforge.model.archived.v1", ModelArchived.class, Topics.REGISTRY),

    OBSERVATIONS_RECEIVED("dev.tuneforge.monitoring.observations-received.v1", ObservationsReceived.class, Topics.MONITORING),
    DRIFT_MEASURED("dev.tuneforge.monitoring.drift-measured.v1", DriftMeasured.class, Topics.MONITORING),
    DRIFT_DETECTED("dev.tuneforge.monitoring.drift-detected.v1", DriftDetected.class, Topics.MONITORING),

    PIPELINE_CONFIGURED("dev.tuneforge.pipeline.configured.v1", PipelineConfigured.class, Topics.COMMANDS);

    private static final Map<String, EventType> BY_NAME =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(EventType::typeName, Function.identity()));
    private static final Map<Class<?>, EventType> BY_CLASS =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(EventType::recordClass, Function.identity()));

    private final String typeName;
    private final Class<? extends TuneforgeEvent> recordClass;
    private final String topic;

    EventType(String typeName, Class<? extends TuneforgeEvent> recordClass, String topic) {
        this.typeName = typeName;
        this.recordClass = recordClass;
        this.topic = topic;
    }

    /** The CloudEvents {@code type}, e.g. {@code dev.tuneforge.dataset.ready.v1}. */
    public String typeName() {
        return typeName;
    }

    public Class<? extends TuneforgeEvent> recordClass() {
        return recordClass;
    }

    public String topic() {
        return topic;
    }

    /** Empty for a type this build does not know: consumers skip those (a newer producer's event). */
    public static Optional<EventType> byName(String typeName) {
        return Optional.ofNullable(BY_NAME.get(typeName));
    }

    public static EventType of(TuneforgeEvent event) {
        return BY_CLASS.get(event.getClass());
    }
}
