package dev.tuneforge.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a workload's items on its clients, one thread each: a client takes the next item and sees it through (an
 * upload until it is ready, a job until it ends, a request until it is answered) before it takes another, until
 * the count is reached or the time bound has passed. So at most {@code clients} items are in flight, and the
 * latencies measure the platform under that many users, not the length of a queue the test built up itself.
 */
final class Clients {

    /** One item, seen through by one client. */
    @FunctionalInterface
    interface Item {
        void run(int client, int item) throws Exception;
    }

    /** How many items were started, and from the first start until the last client was done. */
    record Run(int started, Duration elapsed) {
    }

    private Clients() {
    }

    static Run run(String name, Workload workload, Failures failures, Item item) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        long start = System.nanoTime();
        long stopStarting = start + workload.timeBound().toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < workload.clients(); c++) {
            int client = c;
            threads.add(Thread.ofPlatform().name(name + "-client-" + c).start(() -> {
                while (System.nanoTime() < stopStarting) {
                    int i = next.getAndIncrement();
                    if (i >= workload.count()) {
                        return;
                    }
                    started.incrementAndGet();
                    try {
                        item.run(client, i);
                    } catch (Exception e) {
                        failures.add(name + " " + i + ": " + e);
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        return new Run(started.get(), Duration.ofNanos(System.nanoTime() - start));
    }
}
