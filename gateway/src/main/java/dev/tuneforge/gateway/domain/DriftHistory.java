package dev.tuneforge.gateway.domain;

import dev.tuneforge.events.DriftMetric;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * A model's drift as the dashboard draws it, projected from DriftMeasured and DriftDetected: per version, its windows
 * in time order (oldest first) with every metric's score against its threshold, and the windows that opened a drift
 * episode.
 *
 * @param model    the model's name
 * @param versions the versions that have windows, lowest first
 */
public record DriftHistory(String model, List<VersionDrift> versions) {

    /** At most this many windows per version unless {@code limit} says otherwise: the latest ones. */
    public static final int DEFAULT_LIMIT = 500;
    public static final int MAX_LIMIT = 5000;

    /**
     * @param windows    the version's latest windows (up to the limit), oldest first
     * @param detections those of {@code windows} that opened an episode, oldest first
     */
    public record VersionDrift(int version, List<Window> windows, List<Detection> detections) {
    }

    /**
     * One window of observations measured against the version's baseline.
     *
     * @param metrics    every metric the window measured (score, threshold, crossed)
     * @param detected   the metrics whose episode this window opened (DriftDetected); null if it opened none
     * @param hasReport  whether {@code GET .../drift/{window_id}/report} has the window's distributions
     * @param measuredAt when the gateway learned of it (the event's time)
     */
    public record Window(String windowId, OffsetDateTime windowStart, OffsetDateTime windowEnd, long observations,
                         List<DriftMetric> metrics, List<String> detected, boolean hasReport,
                         OffsetDateTime measuredAt) {
    }

    /** A window that opened a drift episode, and the metrics it opened it for. */
    public record Detection(String windowId, OffsetDateTime windowEnd, List<String> metrics) {
    }
}
