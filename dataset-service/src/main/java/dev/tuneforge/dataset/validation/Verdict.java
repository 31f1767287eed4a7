package dev.tuneforge.dataset.validation;

import dev.tuneforge.events.DatasetReport;

/** What a {@link DatasetReport} means for the upload: accepted or not, and why, in one sentence. */
public final class Verdict {

    private Verdict() {
    }

    /** No errors and at least one example, in the upload and in the user's validation file if any. */
    public static boolean accepted(DatasetReport report) {
        return report.errors().isEmpty() && report.examples() > 0
                && (report.validationFile() == null || accepted(report.validationFile()));
    }

    public static long errorCount(DatasetReport report) {
        return report.errors().stream().mapToLong(DatasetReport.Finding::count).sum()
                + (report.validationFile() == null ? 0 : errorCount(report.validationFile()));
    }

    /** E.g. {@code invalid_json: 3 (first lines [2, 5, 9]); no_assistant_message: 1 (first lines [4])}. */
    public static String summary(DatasetReport report) {
        if (accepted(report)) {
            return report.examples() + " examples";
        }
        DatasetReport validation = report.validationFile();
        if (report.errors().isEmpty() && report.examples() > 0 && validation != null) {
            return "validation file: " + summary(validation);
        }
        if (report.errors().isEmpty()) {
            return "the file has no examples";
        }
        StringBuilder summary = new StringBuilder();
        for (DatasetReport.Finding error : report.errors()) {
            if (!summary.isEmpty()) {
                summary.append("; ");
            }
            summary.append(error.code()).append(": ").append(error.count()).append(" (first lines ")
                    .append(error.firstLines()).append(')');
        }
        return summary.toString();
    }
}
