package dev.tuneforge.trainer.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.worker.protocol.ExitCode;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * How an exit ends an attempt, decided without a database: not a @QuarkusTest because the decision is a pure
 * function of the request flags and the exit; TrainingRunTest and the Kubernetes tests cover it on the stack.
 */
class AttemptOutcomeTest {

    @Test
    void aRequestedCancelOrPauseWinsWhateverTheExit() {
        for (ExitCode exit : ExitCode.values()) {
            assertEquals(AttemptOutcome.CANCELLED, AttemptOutcome.ofExit(true, true, exit, false));
            assertEquals(AttemptOutcome.PAUSED, AttemptOutcome.ofExit(false, true, exit, true));
        }
    }

    @Test
    void badInputFailsTheJobAndEveryOtherEndIsACrashExceptAStopAtShutdown() {
        assertEquals(AttemptOutcome.FAILED, AttemptOutcome.ofExit(false, false, ExitCode.BAD_INPUT, false));
        assertEquals(AttemptOutcome.STOPPED, AttemptOutcome.ofExit(false, false, ExitCode.TERMINATED, true));
        assertEquals(AttemptOutcome.CRASHED, AttemptOutcome.ofExit(false, false, ExitCode.TERMINATED, false),
                "stopped by someone else, e.g. a Job's deadline");
        for (ExitCode exit : EnumSet.complementOf(EnumSet.of(ExitCode.BAD_INPUT, ExitCode.TERMINATED))) {
            assertEquals(AttemptOutcome.CRASHED, AttemptOutcome.ofExit(false, false, exit, true), exit.name());
        }
    }

    @Test
    void onlyCrashedAndLostAttemptsCountTowardsMaxAttempts() {
        Set<AttemptOutcome> crashes = EnumSet.of(AttemptOutcome.CRASHED, AttemptOutcome.LOST);
        for (AttemptOutcome outcome : AttemptOutcome.values()) {
            assertEquals(crashes.contains(outcome), outcome.isCrash(), outcome.name());
        }
        assertTrue(AttemptOutcome.LOST.isCrash());
        assertFalse(AttemptOutcome.STOPPED.isCrash());
    }
}
