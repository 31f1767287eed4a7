package dev.tuneforge.events;

import java.util.Map;

/** The candidate failed its gate; {@code reason} names the rule that failed and the numbers. */
public record EvalFailed(
        String projectId,
        String evalId,
        String jobId,
        String modelName,
        Map<String, Double> metrics,
        String gate,
        String reason,
        String reportKey) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return jobId;
    }
}
