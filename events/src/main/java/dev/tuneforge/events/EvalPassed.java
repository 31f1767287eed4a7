package dev.tuneforge.events;

import java.util.Map;

/** The candidate of a job passed its gate; {@code reportKey} is the full report in S3. */
public record EvalPassed(
        String projectId,
        String evalId,
        String jobId,
        String modelName,
        Map<String, Double> metrics,
        String gate,
        String reportKey) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return jobId;
    }
}
