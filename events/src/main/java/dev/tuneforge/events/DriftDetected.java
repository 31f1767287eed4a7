package dev.tuneforge.events;

import java.time.Instant;
import java.util.List;

/**
 * A window opened a drift episode for one or more metrics (the drift module's {@code DriftEpisodes}: once per
 * episode, not every window that crosses). Pipelines with an {@code on_drift} trigger retrain on it or export the
 * window's prompts for review; its event id is the cause their jobs and datasets record.
 *
 * @param windowId        the {@link DriftMeasured#windowId()} of the window that opened the episode
 * @param metrics         every metric of that window, as in its DriftMeasured
 * @param detected        the metrics whose episode this window opened (a subset of those that crossed)
 * @param reportKey       as in DriftMeasured
 * @param observationKeys as in DriftMeasured: where the drifted window's prompts are
 */
public record DriftDetected(
        String projectId,
        String modelName,
        int modelVersion,
        String windowId,
        Instant windowStart,
        Instant windowEnd,
        long observations,
        List<DriftMetric> metrics,
        List<String> detected,
        String reportKey,
        List<String> observationKeys) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return modelName;
    }
}
