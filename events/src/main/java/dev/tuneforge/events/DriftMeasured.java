package dev.tuneforge.events;

import java.time.Instant;
import java.util.Map;

/** Drift metrics of one window of observations against the model version's baseline. */
public record DriftMeasured(
        String projectId,
        String modelName,
        int modelVersion,
        Instant windowStart,
        Instant windowEnd,
        Map<String, Double> metrics) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return modelName;
    }
}
