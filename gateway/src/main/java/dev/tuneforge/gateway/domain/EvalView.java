package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.OffsetDateTime;

/**
 * The evaluation of a finished job, projected from EvalPassed/EvalFailed.
 *
 * @param outcome   {@code passed} or {@code failed} (the gate's verdict)
 * @param metrics   the candidate's metrics on the held-out split
 * @param gate      the gate's rules, in words
 * @param reason    why it failed: every failed rule with its numbers (null when it passed)
 * @param reportKey the full report in S3
 * @param report    the full report (GET /api/v1/evals/{id} only): subjects' metrics with 95% intervals,
 *                  every rule's result, wins/losses against the base, the overfitting signal
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvalView(
        String id,
        String jobId,
        String modelName,
        String outcome,
        boolean passed,
        JsonNode metrics,
        String gate,
        String reason,
        String reportKey,
        OffsetDateTime createdAt,
        JsonNode report) {

    public EvalView withReport(JsonNode report) {
        return new EvalView(id, jobId, modelName, outcome, passed, metrics, gate, reason, reportKey, createdAt, report);
    }
}
