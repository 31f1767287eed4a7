package dev.tuneforge.dataset.storage;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Not a @QuarkusTest: the backoff is arithmetic; UploadIngestionTest shows the sweeper retrying against real S3. */
class PendingDeleteBackoffTest {

    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

    @Test
    void theFirstRetryWaitsTheInitialBackoffAndEachFurtherOneTwiceAsLong() {
        assertEquals(Duration.ofSeconds(1), PendingDeleteSweeper.backoff(SECOND, FIVE_MINUTES, 0));
        assertEquals(Duration.ofSeconds(2), PendingDeleteSweeper.backoff(SECOND, FIVE_MINUTES, 1));
        assertEquals(Duration.ofSeconds(256), PendingDeleteSweeper.backoff(SECOND, FIVE_MINUTES, 8));
    }

    @Test
    void theWaitStopsGrowingAtTheMaximumHoweverOftenAKeyFailed() {
        assertEquals(FIVE_MINUTES, PendingDeleteSweeper.backoff(SECOND, FIVE_MINUTES, 9));
        assertEquals(FIVE_MINUTES, PendingDeleteSweeper.backoff(SECOND, FIVE_MINUTES, Integer.MAX_VALUE));
    }
}
