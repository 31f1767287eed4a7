package dev.tuneforge.bench.load;

import dev.tuneforge.bench.Timing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The durations of one measurement, added from many client threads; their order statistics in ms. */
final class Samples {

    private final List<Double> ms = new ArrayList<>();

    synchronized void add(Duration d) {
        ms.add(Timing.ms(d));
    }

    /** From one {@link System#nanoTime()} reading to a later one. */
    void between(long fromNanos, long toNanos) {
        add(Duration.ofNanos(toNanos - fromNanos));
    }

    synchronized int count() {
        return ms.size();
    }

    synchronized double percentile(double fraction) {
        return ms.isEmpty() ? Double.NaN : Timing.percentile(ms, fraction);
    }

    synchronized double max() {
        return ms.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
