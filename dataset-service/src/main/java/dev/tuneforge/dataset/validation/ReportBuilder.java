package dev.tuneforge.dataset.validation;

import dev.tuneforge.events.DatasetReport;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Counts each {@link Check} and keeps the first few line numbers where it happened. */
final class ReportBuilder {

    static final int LINES_KEPT = 5;

    private final Map<Check, Long> counts = new EnumMap<>(Check.class);
    private final Map<Check, List<Long>> firstLines = new EnumMap<>(Check.class);
    private int errors;

    void add(Check check, long line) {
        counts.merge(check, 1L, Long::sum);
        List<Long> lines = firstLines.computeIfAbsent(check, c -> new ArrayList<>(LINES_KEPT));
        if (lines.size() < LINES_KEPT && (lines.isEmpty() || lines.get(lines.size() - 1) != line)) {
            lines.add(line);
        }
        if (check.severity() == Check.Severity.ERROR) {
            errors++;
        }
    }

    int errorCount() {
        return errors;
    }

    List<DatasetReport.Finding> findings(Check.Severity severity) {
        List<DatasetReport.Finding> findings = new ArrayList<>();
        counts.forEach((check, count) -> {
            if (check.severity() == severity) {
                findings.add(new DatasetReport.Finding(check.code(), check.description(), count,
                        List.copyOf(firstLines.get(check))));
            }
        });
        return findings;
    }
}
