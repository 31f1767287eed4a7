package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * A model version's card (GET /api/v1/models/{name}/versions/{version}): the version, what it was trained from and
 * how, who asked and when, and its latest evaluation.
 *
 * @param recipe the fields that come from the version's job, written inline; all absent (not null) when the read
 *               model does not have the job, as the card has always been written
 * @param eval   the job's latest evaluation with its report, null when there is none
 */
public record ModelCard(String name, int version, String status, List<String> aliases, OffsetDateTime registeredAt,
                        String artifactKey, String artifactSha256, String jobId, @JsonUnwrapped Recipe recipe,
                        EvalView eval) {

    /** What the job did: base model, method, hyperparameters, dataset, and the run. */
    public record Recipe(BaseModel baseModel, String method, JsonNode hyperparameters, Dataset dataset,
                         Training training) {
    }

    /** A base model by name, with the digest of its files (null when it is no longer in the catalogue). */
    public record BaseModel(String name, String sha256) {
    }

    /** The dataset version a job trained on, with its content digest. */
    public record Dataset(String id, String name, Integer version, String contentSha256) {
    }

    /** Who asked for the training, when it ran, and what it measured. */
    public record Training(String requestedBy, OffsetDateTime requestedAt, OffsetDateTime startedAt,
                           OffsetDateTime finishedAt, Long bestStep, JsonNode metrics) {
    }
}
