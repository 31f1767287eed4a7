package dev.tuneforge.gateway.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * A fine-tuning job as OpenAI's API shows it ({@code object: "fine_tuning.job"}); times are Unix seconds.
 *
 * @param status         {@code validating_files}, {@code queued}, {@code running}, {@code succeeded}, {@code failed},
 *                       {@code cancelled}, or {@code paused} (a job paused through {@code .../pause}; OpenAI's SDKs
 *                       pass a status they do not list through as it is, see docs/OPENAI.md)
 * @param fineTunedModel {@code ft:{base}:{project}:{suffix}:{id}} once the job has succeeded: a {@code model} for
 *                       {@code /v1/chat/completions}
 * @param trainingFile   the file it trains on; for a job created through {@code /api/v1/jobs}, its dataset's id
 */
public record FineTuningJob(String id, String object, long createdAt, JobError error, String fineTunedModel,
                            Long finishedAt, Hyperparameters hyperparameters, String model, String organizationId,
                            List<String> resultFiles, long seed, String status, Long trainedTokens,
                            String trainingFile, String validationFile, Long estimatedFinish, JsonNode integrations,
                            Map<String, String> metadata, Method method, String userProvidedSuffix) {

    /** Why a job failed, as OpenAI reports it; {@code param} names the request field at fault, if one is. */
    public record JobError(String code, String message, String param) {
    }

    /** Each value a number, as resolved for the job, or {@code "auto"} before it is. */
    public record Hyperparameters(Object batchSize, Object learningRateMultiplier, Object nEpochs) {
    }

    /**
     * {@code type} {@code supervised} (tuneforge's {@code lora} or {@code full}) or {@code dpo}, with the hyperparameters
     * of that type (the other type's member is left out, as OpenAI leaves it out).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Method(String type, Supervised supervised, Dpo dpo) {
    }

    public record Supervised(Hyperparameters hyperparameters) {
    }

    public record Dpo(DpoHyperparameters hyperparameters) {
    }

    /** As {@link Hyperparameters}, and DPO's {@code beta}: a number, or {@code "auto"} before the job is resolved. */
    public record DpoHyperparameters(Object batchSize, Object beta, Object learningRateMultiplier, Object nEpochs) {
    }
}
