package dev.tuneforge.trainer.sweeps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.trainer.sweeps.MedianStoppingRule.Validation;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Not a Quarkus test: the rule is a pure function of the curves, so hand-written curves test it best. */
class MedianStoppingRuleTest {

    /** Validations every 10 steps with these losses. */
    private static List<Validation> curve(double... losses) {
        List<Validation> out = new ArrayList<>();
        for (int i = 0; i < losses.length; i++) {
            out.add(new Validation(10L * (i + 1), losses[i]));
        }
        return out;
    }

    private final MedianStoppingRule rule = new MedianStoppingRule(2, 2);

    @Test
    void aTrialWorseThanTheMedianAtItsStepIsStoppedSayingWhy() {
        Optional<String> stop = rule.judge(curve(3.0, 2.9), List.of(curve(3.0, 2.0, 1.5), curve(3.0, 2.5),
                curve(3.0, 1.0)));

        assertEquals(Optional.of("stopped early by the median rule: best validation loss 2.9000 by step 20 is worse "
                + "than the median 2.0000 of 3 other trial(s) at that step"), stop);
    }

    @Test
    void noTrialIsStoppedBeforeItsWarmupValidations() {
        assertEquals(Optional.empty(), rule.judge(curve(9.0), List.of(curve(1.0, 1.0), curve(1.0, 1.0))));
    }

    @Test
    void noTrialIsStoppedWhileTooFewOthersHaveReachedItsStep() {
        // one other reached step 30; the second stopped at 20 and is no judge at 30
        assertEquals(Optional.empty(), rule.judge(curve(3.0, 3.0, 3.0), List.of(curve(1.0, 1.0, 1.0),
                curve(1.0, 1.0))));
        assertTrue(new MedianStoppingRule(2, 1).judge(curve(3.0, 3.0, 3.0), List.of(curve(1.0, 1.0, 1.0),
                curve(1.0, 1.0))).isPresent());
    }

    @Test
    void theTrialsBestSoFarCountsNotItsLatestValidation() {
        // its latest (2.5) is worse than the median 2.0, its best (1.8) is not: Optuna compares the best
        assertEquals(Optional.empty(), rule.judge(curve(1.8, 2.5), List.of(curve(3.0, 2.0), curve(3.0, 2.0))));
    }

    @Test
    void theOthersAreJudgedByTheirBestUpToTheStepNotByLaterValidations() {
        // at step 20 the others' best so far are 2.2 and 2.4 (median 2.3); their later 0.5s do not count yet
        assertEquals(Optional.empty(), rule.judge(curve(2.5, 2.3), List.of(curve(2.2, 2.6, 0.5),
                curve(2.4, 2.9, 0.5))));
        assertTrue(rule.judge(curve(2.5, 2.35), List.of(curve(2.2, 2.6, 0.5), curve(2.4, 2.9, 0.5))).isPresent());
    }

    @Test
    void equalToTheMedianIsNotWorseAndANaNLossIsTheWorst() {
        assertEquals(Optional.empty(), rule.judge(curve(2.0, 2.0), List.of(curve(2.0, 2.0), curve(2.0, 2.0))));
        assertTrue(rule.judge(curve(Double.NaN, Double.NaN), List.of(curve(2.0, 2.0), curve(2.0, 2.0))).isPresent());
    }

    @Test
    void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertEquals(2.5, MedianStoppingRule.median(List.of(4.0, 1.0, 3.0, 2.0)));
        assertEquals(3.0, MedianStoppingRule.median(List.of(5.0, 3.0, 1.0)));
    }
}
