package dev.tuneforge.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class DriftEpisodesTest {

    private static final boolean X = true;
    private static final boolean o = false;

    @Test
    void drift_detected_is_emitted_once_when_a_threshold_is_first_crossed_not_every_window() {
        assertEquals(List.of(2), new DriftEpisodes().detections(List.of(o, o, X, X, X, X)));
    }

    @Test
    void a_new_episode_starts_only_after_the_metric_returned_below_its_threshold() {
        assertEquals(List.of(0, 3, 5), new DriftEpisodes().detections(List.of(X, X, o, X, o, X, X)));
    }

    @Test
    void with_hysteresis_a_metric_flickering_around_its_threshold_stays_one_episode() {
        DriftEpisodes twoCleanWindows = new DriftEpisodes(2);
        assertEquals(List.of(0, 7), twoCleanWindows.detections(List.of(X, o, X, o, X, o, o, X)));
    }

    @Test
    void a_step_says_when_the_episode_ends() {
        DriftEpisodes episodes = new DriftEpisodes();
        DriftEpisodes.Step opened = episodes.next(DriftEpisodes.State.INITIAL, true);
        DriftEpisodes.Step ended = episodes.next(opened.state(), false);
        assertEquals(new DriftEpisodes.Step(new DriftEpisodes.State(true, 0), true, false), opened);
        assertEquals(new DriftEpisodes.Step(DriftEpisodes.State.INITIAL, false, true), ended);
    }

    @Test
    void an_episode_that_never_closes_is_refused_as_a_setting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DriftEpisodes(0));
        assertEquals("an episode closes after at least 1 clean window (got 0)", e.getMessage());
    }
}
