package dev.tuneforge.events;

/** Throttled progress of a running job; validation fields are null between evaluations. */
public record TrainingProgress(
        String projectId,
        String jobId,
        long step,
        long totalSteps,
        double epoch,
        double trainLoss,
        double learningRate,
        double tokensPerSecond,
        Long etaSeconds,
        Double validLoss,
        Double validTokenAccuracy) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return jobId;
    }
}
