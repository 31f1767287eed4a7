package dev.tuneforge.bench.load;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What went wrong with a workload's items beyond the HTTP status of a call: an upload rejected or never ready, a
 * job that failed or never ended, an answer without the expected content. Counted in full, the first few kept.
 */
final class Failures {

    private static final int KEPT = 10;

    private final AtomicInteger count = new AtomicInteger();
    private final Queue<String> kept = new ConcurrentLinkedQueue<>();

    void add(String failure) {
        if (count.incrementAndGet() <= KEPT) {
            kept.add(failure);
        }
    }

    int count() {
        return count.get();
    }

    List<String> kept() {
        return List.copyOf(kept);
    }
}
