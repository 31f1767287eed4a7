package dev.tuneforge.bench.load;

import java.time.Duration;

/**
 * The shape of one workload: {@code clients} at once, {@code count} items in all, and new items started only
 * within {@code timeBound} of the first; an item already started may take {@code settle} more to finish (an
 * upload to be ready, a job to end). A count of 0 skips the workload.
 */
record Workload(int clients, int count, Duration timeBound, Duration settle) {

    Workload {
        if (clients < 1 || count < 0 || timeBound.isNegative() || settle.isNegative()) {
            throw new IllegalArgumentException("a workload needs clients ≥ 1, count ≥ 0 and times ≥ 0, got "
                    + clients + " clients, " + count + " items, " + timeBound + ", " + settle);
        }
    }

    @Override
    public String toString() {
        return count + " items, " + clients + " clients, started within " + timeBound.toSeconds() + " s, each done within "
                + settle.toSeconds() + " s";
    }
}
