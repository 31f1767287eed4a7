package dev.tuneforge.kit.messaging;

import java.time.Duration;
import java.time.Instant;

/**
 * What {@link InboxProcessor} does after an attempt at an event failed. Two kinds of failure, two budgets:
 * <ul>
 *   <li>a transient fault ({@link TransientFaults}) is retried with exponential backoff from
 *       {@code initialBackoff} capped at {@code transientMaxBackoff}, for {@code transientRetryFor} after the first
 *       such fault, while the partition waits; it is never dead-lettered. If the fault outlasts the window the
 *       processor gives up: the channel fails with the offset uncommitted, so nothing is lost and the event is
 *       redelivered when the service restarts;</li>
 *   <li>any other failure is the event's own: retried {@code maxAttempts} times in all (a handler can still fail
 *       spuriously, e.g. on a race with another writer), then the event is poison and goes to the DLQ.</li>
 * </ul>
 * Transient faults do not use up the attempts of the second kind, so a long outage never turns an event into poison.
 */
public record InboxRetryPolicy(int maxAttempts, Duration initialBackoff, Duration transientRetryFor,
                               Duration transientMaxBackoff) {

    /** What to do next. */
    public sealed interface Decision {
    }

    /** Wait, then try again. */
    public record Retry(Duration delay, boolean transientFault) implements Decision {
    }

    /** The event is poison: dead-letter it and go on with the next record. */
    public record DeadLetter(int attempts) implements Decision {
    }

    /** A transient fault outlasted the retry window: stop, leaving the offset uncommitted. */
    public record GiveUp(Duration retriedFor) implements Decision {
    }

    public InboxRetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("tuneforge.messaging.max-attempts must be at least 1, was " + maxAttempts);
        }
    }

    /**
     * The longest an event may legitimately hold its channel: every attempt of the second kind, plus the transient
     * window and one attempt begun at its very end, each attempt taking up to {@code attemptTimeout}.
     */
    public Duration longestHold(Duration attemptTimeout) {
        Duration backoffs = initialBackoff.multipliedBy(1L << Math.min(maxAttempts, 20));
        return attemptTimeout.multipliedBy(maxAttempts + 1L).plus(backoffs).plus(transientRetryFor)
                .plus(transientMaxBackoff);
    }

    /** The failures of one event so far. Not thread-safe: one per event being processed. */
    public Tracker track() {
        return new Tracker();
    }

    public final class Tracker {

        private int failures;
        private int transientFaults;
        private Instant firstTransientFault;

        private Tracker() {
        }

        public Decision failed(boolean transientFault, Instant now) {
            if (transientFault) {
                if (firstTransientFault == null) {
                    firstTransientFault = now;
                }
                Duration retriedFor = Duration.between(firstTransientFault, now);
                if (retriedFor.compareTo(transientRetryFor) >= 0) {
                    return new GiveUp(retriedFor);
                }
                Duration delay = doubled(initialBackoff, transientFaults++, transientMaxBackoff);
                Duration left = transientRetryFor.minus(retriedFor);
                // The last try comes at the end of the window, not a whole backoff after it.
                return new Retry(delay.compareTo(left) > 0 ? left : delay, true);
            }
            failures++;
            if (failures >= maxAttempts) {
                return new DeadLetter(failures + transientFaults);
            }
            return new Retry(doubled(initialBackoff, failures - 1, transientMaxBackoff), false);
        }

        /** Attempts so far, of both kinds. */
        public int attempts() {
            return failures + transientFaults;
        }

        private static Duration doubled(Duration initial, int times, Duration cap) {
            Duration delay = initial.multipliedBy(1L << Math.min(times, 30));
            return delay.isNegative() || delay.compareTo(cap) > 0 ? cap : delay;
        }
    }
}
