package dev.tuneforge.bench.load;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** The figures of a run as Markdown tables, ready for docs/RELIABILITY.md, then every check and what failed. */
final class LoadReport {

    private LoadReport() {
    }

    static void print(PrintStream out, List<WorkloadResult> results, List<Check> platformChecks) {
        out.println();
        out.println("| workload | clients | started | accepted | completed | time (s) | completed/s | 2xx | 429 | other 4xx"
                + " | 5xx | no answer | failed items |");
        out.println("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for (WorkloadResult r : results) {
            CallTally c = r.calls();
            out.printf(Locale.ROOT, "| %s | %d | %d | %d | %d | %.1f | %.2f | %d | %d | %d | %d | %d | %d |%n", r.name(),
                    r.shape().clients(), r.started(), r.accepted(), r.completed(), r.elapsed().toMillis() / 1000.0,
                    r.throughputPerSecond(), c.successes(), c.rateLimited(), c.clientErrors(), c.serverErrors(),
                    c.noAnswers(), r.failures().count());
        }
        out.println();
        out.println("| latency (ms) | n | p50 | p99 | max |");
        out.println("|---|--:|--:|--:|--:|");
        for (WorkloadResult r : results) {
            for (WorkloadResult.Latency l : r.latencies()) {
                Samples s = l.samples();
                out.printf(Locale.ROOT, "| %s: %s | %d | %.0f | %.0f | %.0f |%n", r.name(), l.label(), s.count(),
                        s.percentile(0.50), s.percentile(0.99), s.max());
            }
        }
        out.println();
        for (WorkloadResult r : results) {
            for (Check check : r.checks()) {
                printCheck(out, r.name() + ": " + check.what(), check);
            }
            r.calls().problems().forEach(p -> out.println("  ! " + r.name() + " call: " + p));
            r.failures().kept().forEach(f -> out.println("  ! " + r.name() + ": " + f));
        }
        platformChecks.forEach(check -> printCheck(out, check.what(), check));
    }

    private static void printCheck(PrintStream out, String what, Check check) {
        out.println((check.passed() ? "  ✓ " : "  ✗ ") + what + ": " + check.found());
    }
}
