package dev.tuneforge.events;

/**
 * Every event of the platform. Each carries the tenant ({@link #projectId()}) and the id of the
 * aggregate it belongs to, which is the Kafka key and the CloudEvents subject, so the events of one
 * dataset, job or model stay ordered.
 *
 * <p>Evolution rule: add optional (nullable) fields only. A breaking change is a new record with a
 * {@code .v2} type, produced beside v1 until consumers move.
 */
public sealed interface TuneforgeEvent permits
        DatasetUploaded, DatasetReady, DatasetRejected,
        TrainingRequested, TrainingCancelRequested, TrainingPauseRequested, TrainingResumeRequested, TrainingPaused, TrainingResumed, TrainingStarted, TrainingProgress,
        CheckpointSaved, TrainingFinished, TrainingFailed, TrainingCancelled,
        SweepRequested, SweepFinished,
        EvalPassed, EvalFailed,
        PromotionRequested, RollbackRequested, ModelArchiveRequested, ModelRegistered, ModelPromoted, ModelRolledBack,
        ModelArchived,
        ObservationsReceived, DriftMeasured, DriftDetected,
        PipelineConfigured {

    String projectId();

    /** The aggregate this event belongs to: Kafka key and {@code ce_subject}. */
    String aggregateId();
}
