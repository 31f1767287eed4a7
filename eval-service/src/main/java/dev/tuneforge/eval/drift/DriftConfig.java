package dev.tuneforge.eval.drift;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/**
 * Drift monitoring's service defaults ({@code tuneforge.drift.*}); a pipeline's {@code drift_window} and
 * {@code drift_thresholds} triggers override the window and the thresholds for its model.
 */
@ConfigMapping(prefix = "tuneforge.drift")
public interface DriftConfig {

    /** A window closes once it holds at least this many observations (whole batches), unless set by time. */
    @WithDefault("1000")
    long windowObservations();

    /** When set, windows close by time instead: at the first batch this long after the window's first. */
    Optional<Long> windowSeconds();

    /** The most training examples a version's baseline is made of (a seeded sample of its training split). */
    @WithDefault("1000")
    int baselineExamples();

    /**
     * How often every open window is looked at (so a window by time closes with no further batch), as the scheduler
     * reads it: {@code 5s}, or {@code off}.
     */
    @WithDefault("5s")
    String tick();

    /** Clean windows after which a metric's drift episode ends ({@code DriftEpisodes}). */
    @WithDefault("1")
    int episodeCleanWindows();
}
