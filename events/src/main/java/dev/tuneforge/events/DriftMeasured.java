package dev.tuneforge.events;

import java.time.Instant;
import java.util.List;

/**
 * Drift metrics of one window of a model version's observations against that version's baseline (its training
 * data), written by eval-service for every window it closes.
 *
 * @param windowId        deterministic per (model version, window): a redelivered batch never makes a second window
 * @param observations    how many observations the window holds
 * @param metrics         every metric the window could measure (a metric whose inputs a side lacks is left out)
 * @param reportKey       S3 key of the window's report: the metrics plus the reference and current distributions the
 *                        dashboard draws (lengths, vocabulary); null if none was written
 * @param observationKeys the observation objects ({@code ObservationsReceived.objectKey}) the window is made of
 */
public record DriftMeasured(
        String projectId,
        String modelName,
        int modelVersion,
        String windowId,
        Instant windowStart,
        Instant windowEnd,
        long observations,
        List<DriftMetric> metrics,
        String reportKey,
        List<String> observationKeys) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return modelName;
    }
}
