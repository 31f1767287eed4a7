package dev.tuneforge.events;

import java.time.Instant;
import java.util.Map;

/** One or more drift metrics crossed their thresholds; may trigger retraining. */
public record DriftDetected(
        String projectId,
        String modelName,
        int modelVersion,
        Instant windowStart,
        Instant windowEnd,
        Map<String, Double> metrics,
        Map<String, Double> thresholds) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return modelName;
    }
}
