package dev.tuneforge.kit.messaging;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** Not a @QuarkusTest: the decisions are a pure function of the failures and the time they happened. */
class InboxRetryPolicyTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private final InboxRetryPolicy policy =
            new InboxRetryPolicy(3, Duration.ofMillis(200), Duration.ofMinutes(10), Duration.ofSeconds(30));

    @Test
    void transientFaultsBackOffExponentiallyUpToTheCap() {
        InboxRetryPolicy.Tracker tracker = policy.track();
        List<Duration> delays = new ArrayList<>();
        Instant now = T0;
        for (int i = 0; i < 10; i++) {
            InboxRetryPolicy.Retry retry = (InboxRetryPolicy.Retry) tracker.failed(true, now);
            delays.add(retry.delay());
            now = now.plus(retry.delay());
        }
        assertEquals(List.of(200L, 400L, 800L, 1600L, 3200L, 6400L, 12800L, 25600L, 30000L, 30000L),
                delays.stream().map(Duration::toMillis).toList());
    }

    @Test
    void aTransientFaultIsNeverDeadLetteredHoweverOftenItRecurs() {
        InboxRetryPolicy.Tracker tracker = policy.track();
        Instant now = T0;
        InboxRetryPolicy.Decision decision;
        int tries = 0;
        do {
            decision = tracker.failed(true, now);
            if (decision instanceof InboxRetryPolicy.Retry retry) {
                now = now.plus(retry.delay());
            }
            tries++;
        } while (decision instanceof InboxRetryPolicy.Retry);
        InboxRetryPolicy.GiveUp giveUp = assertInstanceOf(InboxRetryPolicy.GiveUp.class, decision);
        assertEquals(Duration.ofMinutes(10), giveUp.retriedFor(), "the last try comes at the end of the window");
        assertEquals(true, tries > 20);
    }

    @Test
    void aFailureOfTheEventItselfIsDeadLetteredOnItsLastAttempt() {
        InboxRetryPolicy.Tracker tracker = policy.track();
        assertEquals(new InboxRetryPolicy.Retry(Duration.ofMillis(200), false), tracker.failed(false, T0));
        assertEquals(new InboxRetryPolicy.Retry(Duration.ofMillis(400), false), tracker.failed(false, T0));
        assertEquals(new InboxRetryPolicy.DeadLetter(3), tracker.failed(false, T0));
    }

    @Test
    void anOutageBetweenTwoFailuresDoesNotUseUpTheEventsAttempts() {
        InboxRetryPolicy.Tracker tracker = policy.track();
        tracker.failed(false, T0);
        for (int i = 0; i < 5; i++) {
            assertInstanceOf(InboxRetryPolicy.Retry.class, tracker.failed(true, T0.plusSeconds(i)));
        }
        assertInstanceOf(InboxRetryPolicy.Retry.class, tracker.failed(false, T0.plusSeconds(6)));
        assertEquals(new InboxRetryPolicy.DeadLetter(8), tracker.failed(false, T0.plusSeconds(7)),
                "dead-lettered at its third own failure, after 8 attempts in all");
    }

    @Test
    void theLongestHoldCoversEveryAttemptAndTheWindow() {
        Duration hold = policy.longestHold(Duration.ofMinutes(10));
        assertEquals(true, hold.compareTo(Duration.ofMinutes(10 * 4 + 10)) > 0, hold.toString());
    }
}
