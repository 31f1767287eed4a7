package dev.tuneforge.kit.concurrent;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** How wake-ups turn into passes; not a @QuarkusTest: only threads are involved. */
class SerialPassesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void wakeUpsDuringAPassQueueExactlyOneMorePass() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger passes = new AtomicInteger();
        AtomicInteger running = new AtomicInteger();
        try (SerialPasses serial = new SerialPasses("test-pass", () -> {
            running.incrementAndGet();
            if (passes.incrementAndGet() == 1) {
                await().atMost(WAIT).until(() -> release.getCount() == 0);
            }
            running.decrementAndGet();
        })) {
            serial.wake();
            await().atMost(WAIT).until(() -> running.get() == 1);
            for (int i = 0; i < 5; i++) {
                serial.wake();
            }
            release.countDown();

            await().atMost(WAIT).until(serial::idle);
            assertEquals(2, passes.get(), "the running pass and one more for the five wake-ups that came during it");

            serial.wake();
            await().atMost(WAIT).until(() -> passes.get() == 3 && serial.idle());
        }
    }

    @Test
    void aPassThatThrowsDoesNotStopLaterWakeUps() {
        AtomicInteger passes = new AtomicInteger();
        try (SerialPasses serial = new SerialPasses("test-pass", () -> {
            if (passes.incrementAndGet() == 1) {
                throw new IllegalStateException("the database is away");
            }
        })) {
            serial.wake();
            await().atMost(WAIT).until(() -> passes.get() == 1 && serial.idle());
            serial.wake();
            await().atMost(WAIT).until(() -> passes.get() == 2 && serial.idle());
        }
    }

    @Test
    void theTimersPassNeverOverlapsAWokenOne() {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        Runnable body = () -> {
            if (inside.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            Thread.onSpinWait();
            inside.decrementAndGet();
        };
        try (SerialPasses serial = new SerialPasses("test-pass", body)) {
            for (int i = 0; i < 1000; i++) {
                serial.wake();
                serial.runExclusive(body);
            }
            await().atMost(WAIT).until(serial::idle);
        }
        assertEquals(0, overlaps.get());
    }
}
