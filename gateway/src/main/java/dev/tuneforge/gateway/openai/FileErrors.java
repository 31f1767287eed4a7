package dev.tuneforge.gateway.openai;

import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetReport;
import dev.tuneforge.gateway.openai.FineTuningJob.JobError;
import dev.tuneforge.gateway.openai.JobRequestStore.JobRequest;

import java.util.List;
import java.util.stream.Collectors;

/**
 * dataset-service's rejection of a job's files as OpenAI reports it in the job's {@code error}: {@code code}
 * {@code invalid_n_examples} (no example to train on) or {@code invalid_file_format}, {@code param} the file at fault
 * ({@code training_file} or {@code validation_file}), and a message that names each check that failed with its first
 * lines, so the user can find them.
 */
final class FileErrors {

    private FileErrors() {
    }

    static JobError of(DatasetRejected rejected, JobRequest request) {
        DatasetReport report = rejected.report();
        if (report == null) {
            return new JobError("invalid_file_format", "The job failed due to an invalid training file "
                    + request.trainingFile() + ": " + rejected.reason(), "training_file");
        }
        boolean trainingFine = report.errors().isEmpty() && report.examples() > 0;
        boolean validationAtFault = trainingFine && report.validationFile() != null;
        DatasetReport atFault = validationAtFault ? report.validationFile() : report;
        String param = validationAtFault ? "validation_file" : "training_file";
        String file = validationAtFault ? request.validationFile() : request.trainingFile();
        String what = validationAtFault ? "validation" : "training";
        if (atFault.errors().isEmpty()) {
            return new JobError("invalid_n_examples", "The job failed due to an invalid " + what + " file " + file
                    + ": it has no examples (" + atFault.lines() + " lines)", param);
        }
        return new JobError("invalid_file_format", "The job failed due to an invalid " + what + " file " + file
                + ": " + describe(atFault.errors()), param);
    }

    /** E.g. {@code line is not valid JSON (invalid_json) on 2 lines: 3, 8}. */
    private static String describe(List<DatasetReport.Finding> errors) {
        return errors.stream().map(f -> f.description() + " (" + f.code() + ") on " + (f.count() == 1 ? "line "
                        : f.count() + " lines" + (f.count() > f.firstLines().size() ? ", the first" : "") + ": ")
                        + f.firstLines().stream().map(String::valueOf).collect(Collectors.joining(", ")))
                .collect(Collectors.joining("; "));
    }
}
