package dev.tuneforge.gateway.openai;

import dev.tuneforge.gateway.domain.JobView;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A succeeded job's result file, as OpenAI's: a CSV of its training steps ({@code step, train_loss, train_accuracy,
 * valid_loss, valid_mean_token_accuracy}), made from the job's loss curve when it is read, never stored. Its id is
 * {@code file-results-{job id}}; {@code /v1/files/{id}} and {@code .../content} serve it like any file.
 */
final class ResultFiles {

    static final String PREFIX = "file-results-";
    static final String PURPOSE = "fine-tune-results";

    private ResultFiles() {
    }

    static String idOf(String jobId) {
        return PREFIX + jobId;
    }

    /** The job a result file belongs to, or null if the id is not a result file's. */
    static String jobOf(String fileId) {
        return fileId.startsWith(PREFIX) ? fileId.substring(PREFIX.length()) : null;
    }

    /** One row per step; a step a retried attempt ran again has that attempt's values. */
    static byte[] csv(List<JobView.Metric> metrics) {
        Map<Long, JobView.Metric> byStep = new TreeMap<>();
        metrics.forEach(metric -> byStep.put(metric.step(), metric));
        StringBuilder csv = new StringBuilder("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n");
        for (JobView.Metric metric : byStep.values()) {
            csv.append(metric.step()).append(',').append(number(metric.trainLoss())).append(",,")
                    .append(metric.validLoss() == null ? "" : number(metric.validLoss())).append(',')
                    .append(metric.validTokenAccuracy() == null ? "" : number(metric.validTokenAccuracy()))
                    .append('\n');
        }
        return csv.toString().getBytes(StandardCharsets.UTF_8);
    }

    static FileObject file(String jobId, long createdAt, long bytes) {
        return new FileObject(idOf(jobId), "file", bytes, createdAt, "step_metrics.csv", PURPOSE, "processed", null,
                null);
    }

    private static String number(double value) {
        return String.format(Locale.ROOT, "%.5f", value);
    }
}
