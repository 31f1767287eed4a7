package dev.tuneforge.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tuneforge.gateway.domain.JobView;
import dev.tuneforge.gateway.openai.FineTuningJob.Dpo;
import dev.tuneforge.gateway.openai.FineTuningJob.Hyperparameters;
import dev.tuneforge.gateway.openai.FineTuningJob.JobError;
import dev.tuneforge.gateway.openai.FineTuningJob.Method;
import dev.tuneforge.gateway.openai.FineTuningJob.Supervised;
import dev.tuneforge.gateway.openai.JobRequestStore.JobRequest;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * A job as OpenAI's API shows it, from what the platform knows of it: the job of the read model (null until
 * TrainingRequested has come back from the topic), and its {@code /v1} request (null for a job created through
 * {@code /api/v1/jobs}, whose dataset id then stands for its training file).
 */
final class JobViews {

    /** The recipe's seed when none is given (Recipe); OpenAI's job always has one. */
    private static final long DEFAULT_SEED = 42;

    private JobViews() {
    }

    /** @param trainedTokens the training split's tokens times the epochs, once the job has succeeded; or null */
    static FineTuningJob of(String projectId, JobView job, JobRequest request, Long trainedTokens) {
        String id = job != null ? job.id() : request.jobId();
        String suffix = request != null && request.suffix() != null ? request.suffix()
                : job != null ? job.modelName() : null;
        String baseModel = job != null && job.baseModel() != null ? job.baseModel() : request.model();
        String status = status(job, request);
        JobError error = error(job, request, status);
        boolean succeeded = "succeeded".equals(status) && job.artifactKey() != null;
        JsonNode recipe = job != null && job.hyperparameters() != null ? job.hyperparameters()
                : request.request().path("hyperparameters");
        String method = job != null && job.method() != null ? job.method() : request.request().path("method").asText();
        Hyperparameters hyperparameters = OpenAiHyperparameters.fromRecipe(recipe, method);
        long seed = request != null && request.seed() != null ? request.seed()
                : recipe.path("seed").asLong(DEFAULT_SEED);
        OffsetDateTime created = request != null ? request.createdAt() : job.createdAt();
        Long finishedAt = finishedAt(job, request, status);
        Long estimatedFinish = "running".equals(status) && job.progress() != null && job.progress().etaSeconds() != null
                ? OffsetDateTime.now().toEpochSecond() + job.progress().etaSeconds() : null;
        JsonNode integrations = request != null && request.integrations() != null ? request.integrations()
                : JsonNodeFactory.instance.arrayNode();
        return new FineTuningJob(id, "fine_tuning.job", created.toEpochSecond(), error,
                succeeded ? FineTunedModelName.of(baseModel, projectId, suffix, id) : null, finishedAt, hyperparameters,
                baseModel, projectId, succeeded ? List.of(ResultFiles.idOf(id)) : List.of(), seed, status,
                succeeded ? trainedTokens : null, request != null ? request.trainingFile() : job.datasetId(),
                request != null ? request.validationFile() : null, estimatedFinish, integrations,
                request != null ? request.metadata() : null,
                "dpo".equals(method) ? new Method("dpo", null, new Dpo(OpenAiHyperparameters.dpoFromRecipe(recipe)))
                        : new Method("supervised", new Supervised(hyperparameters), null),
                request != null ? request.suffix() : null);
    }

    /**
     * OpenAI's status: {@code validating_files} until the files are validated, then the job's own state
     * ({@code queued} until trainer-service's first event, when the request is in the outbox or on its way).
     */
    static String status(JobView job, JobRequest request) {
        if (request != null && !JobRequestStore.REQUESTED.equals(request.state())) {
            return request.state();
        }
        return job == null ? "queued" : job.state();
    }

    private static JobError error(JobView job, JobRequest request, String status) {
        if (request != null && JobRequestStore.FAILED.equals(request.state())) {
            return new JobError(request.errorCode(), request.errorMessage(), request.errorParam());
        }
        if ("failed".equals(status) && job != null) {
            return new JobError(job.failureCode() == null ? "server_error" : job.failureCode(),
                    job.failureMessage() == null ? "the job failed" : job.failureMessage(), null);
        }
        return null;
    }

    private static Long finishedAt(JobView job, JobRequest request, String status) {
        if (!JobView.FINAL.contains(status)) {
            return null;
        }
        if (job != null && job.finishedAt() != null) {
            return job.finishedAt().toEpochSecond();
        }
        if (job != null) {
            return job.updatedAt().toEpochSecond();
        }
        return request.updatedAt().toEpochSecond();
    }
}
