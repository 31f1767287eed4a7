package dev.tuneforge.events;

/**
 * Throttled progress of a running job; validation fields are null between evaluations.
 *
 * @param attempt the attempt that reported it (a retried attempt repeats the steps after its checkpoint)
 */
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
        Double validTokenAccuracy,
        Integer attempt) implements TuneforgeEvent {

    public TrainingProgress(String projectId, String jobId, long step, long totalSteps, double epoch, double trainLoss,
                            double learningRate, double tokensPerSecond, Long etaSeconds, Double validLoss,
                            Double validTokenAccuracy) {
        this(projectId, jobId, step, totalSteps, epoch, trainLoss, learningRate, tokensPerSecond, etaSeconds,
                validLoss, validTokenAccuracy, null);
    }

    @Override
    public String aggregateId() {
        return jobId;
    }
}
