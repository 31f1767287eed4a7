package dev.tuneforge.bench.load;

import java.time.Duration;
import java.util.List;

/**
 * One workload's figures: items started, accepted by the gateway and completed (ready, ended, answered), the time
 * from the first start until the last client was done, its clients' calls, what failed, its latencies and its
 * checks.
 */
record WorkloadResult(String name, Workload shape, int started, int accepted, int completed, Duration elapsed,
                      CallTally calls, Failures failures, List<Latency> latencies, List<Check> checks) {

    /** One measured latency, by what it spans. */
    record Latency(String label, Samples samples) {
    }

    double throughputPerSecond() {
        return elapsed.isZero() ? 0 : completed / (elapsed.toNanos() / 1e9);
    }

    /** Every item started was completed, no call failed or went unanswered, and every check passed. */
    boolean clean() {
        return completed == started && failures.count() == 0 && calls.serverErrors() == 0 && calls.noAnswers() == 0
                && calls.clientErrors() == 0 && checks.stream().allMatch(Check::passed);
    }
}
