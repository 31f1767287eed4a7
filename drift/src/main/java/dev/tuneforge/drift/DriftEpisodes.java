package dev.tuneforge.drift;

import java.util.ArrayList;
import java.util.List;

/**
 * When a crossed threshold is news: DriftDetected is emitted once per episode, not every window. An episode of one
 * (model version, metric) opens at the first window that crosses the metric's threshold (that window emits
 * DriftDetected) and stays open while windows keep crossing; it closes after {@code windowsToClose} consecutive
 * windows below the threshold (hysteresis: 1 by default, so a single clean window ends it; a larger value keeps a
 * metric that flickers around its threshold from emitting again and again). A window that crosses after the
 * episode closed opens a new one and emits again.
 *
 * <p>Pure: the state is a small record the caller stores per (model version, metric), e.g. in its database.
 */
public final class DriftEpisodes {

    /** Per (model version, metric): whether an episode is open and how many clean windows followed. */
    public record State(boolean open, int cleanWindows) {
        public static final State INITIAL = new State(false, 0);
    }

    /** The state after a window, and whether that window emits DriftDetected or ends the episode. */
    public record Step(State state, boolean driftDetected, boolean episodeEnded) {}

    private final int windowsToClose;

    public DriftEpisodes(int windowsToClose) {
        if (windowsToClose < 1) {
            throw new IllegalArgumentException("an episode closes after at least 1 clean window (got "
                    + windowsToClose + ")");
        }
        this.windowsToClose = windowsToClose;
    }

    public DriftEpisodes() {
        this(1);
    }

    public Step next(State state, boolean crossed) {
        if (crossed) {
            return new Step(new State(true, 0), !state.open(), false);
        }
        if (!state.open()) {
            return new Step(State.INITIAL, false, false);
        }
        int clean = state.cleanWindows() + 1;
        if (clean >= windowsToClose) {
            return new Step(State.INITIAL, false, true);
        }
        return new Step(new State(true, clean), false, false);
    }

    /** The indices of the windows that emit DriftDetected, for one metric's sequence of crossings. */
    public List<Integer> detections(List<Boolean> crossed) {
        List<Integer> out = new ArrayList<>();
        State state = State.INITIAL;
        for (int i = 0; i < crossed.size(); i++) {
            Step step = next(state, crossed.get(i));
            if (step.driftDetected()) {
                out.add(i);
            }
            state = step.state();
        }
        return out;
    }
}
