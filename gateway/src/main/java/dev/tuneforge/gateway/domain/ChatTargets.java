package dev.tuneforge.gateway.domain;

import dev.tuneforge.gateway.openai.FineTunedModelName;
import dev.tuneforge.gateway.openai.JobRequestStore;
import dev.tuneforge.gateway.storage.JobReadModel;
import dev.tuneforge.gateway.storage.ModelReadModel;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Optional;

/**
 * Resolves the {@code model} of an OpenAI-style request, in the caller's project: a job's {@code ft:} name (its
 * result, or a checkpoint), {@code name@alias}, {@code name:version}, a bare {@code name} (its champion), or else a
 * base model of the catalogue. Resolved
 * per request, so once an alias moves the next request is served by the version it points at now.
 */
@ApplicationScoped
public class ChatTargets {

    /** The model cannot be served as named; {@code message} says why. */
    public static final class UnknownModel extends RuntimeException {
        public UnknownModel(String message) {
            super(message);
        }
    }

    private final ModelReadModel models;
    private final JobReadModel jobs;
    private final BaseModelCatalog baseModels;
    private final JobRequestStore requests;

    public ChatTargets(ModelReadModel models, JobReadModel jobs, BaseModelCatalog baseModels,
                       JobRequestStore requests) {
        this.requests = requests;
        this.models = models;
        this.jobs = jobs;
        this.baseModels = baseModels;
    }

    public ChatTarget resolve(String projectId, String model) {
        Optional<FineTunedModelName> fineTuned = FineTunedModelName.parse(model);
        if (fineTuned.isPresent()) {
            return fineTuned(projectId, model, fineTuned.get());
        }
        int at = model.lastIndexOf('@');
        int colon = model.lastIndexOf(':');
        if (at > 0) {
            String name = model.substring(0, at);
            String alias = model.substring(at + 1);
            ModelView view = models.find(projectId, name).orElseThrow(() -> unknown(model));
            Integer version = view.aliases().get(alias);
            if (version == null) {
                throw new UnknownModel("The model '" + name + "' has no alias '" + alias + "'; it has "
                        + (view.aliases().isEmpty() ? "none" : String.join(", ", view.aliases().keySet())));
            }
            return version(projectId, model, name, version);
        }
        if (colon > 0) {
            String name = model.substring(0, colon);
            int version;
            try {
                version = Integer.parseInt(model.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw unknown(model);
            }
            return version(projectId, model, name, version);
        }
        Optional<ModelView> view = models.find(projectId, model);
        if (view.isPresent()) {
            if (view.get().champion() == null) {
                throw new UnknownModel("The model '" + model + "' has no champion yet; name a version ('" + model
                        + ":<version>') or an alias ('" + model + "@<alias>')");
            }
            return version(projectId, model, model, view.get().champion());
        }
        if (baseModels.find(model).isPresent()) {
            return new ChatTarget(model, model, ChatTarget.baseServerKey(model), model, null, null, false);
        }
        throw unknown(model);
    }

    private ChatTarget version(String projectId, String requested, String name, int number) {
        ModelVersionView version = models.version(projectId, name, number).orElseThrow(() -> unknown(requested));
        if (ModelReadModel.ARCHIVED.equals(version.status())) {
            throw new UnknownModel("The model '" + name + "' version " + number + " is archived");
        }
        if (version.artifactKey() == null || !version.artifactKey().startsWith("projects/" + projectId + "/")) {
            throw new UnknownModel("The model '" + name + "' version " + number + " has no artifact to serve");
        }
        // ModelRegistered names the job, not the base model: the job's request does.
        JobView job = version.jobId() == null ? null : jobs.find(projectId, version.jobId()).orElse(null);
        if (job == null || job.baseModel() == null) {
            throw new UnknownModel("The model '" + name + "' version " + number
                    + " cannot be served: the base model of its job is not known");
        }
        return target(projectId, requested, name + ":" + number,
                "projects/" + projectId + "/models/" + name + "/v" + number, job.baseModel(),
                prefix(version.artifactKey()), version.artifactSha256(), "full".equals(job.method()), null);
    }

    /**
     * A version's target: a full model has a server of its own ({@code ownKey}); an adapter is served by its base
     * model's server under {@link AdapterIds#of an id} that names the project and the artifact.
     */
    private static ChatTarget target(String projectId, String requested, String resolved, String ownKey,
                                     String baseModel, String artifactKey, String sha256, boolean full,
                                     String artifactDir) {
        if (full) {
            return new ChatTarget(requested, resolved, ownKey, baseModel, artifactKey, sha256, true, artifactDir,
                    null);
        }
        return new ChatTarget(requested, resolved, ChatTarget.baseServerKey(baseModel), baseModel, artifactKey,
                sha256, false, artifactDir, AdapterIds.of(projectId, resolved, artifactKey, sha256));
    }

    /**
     * A job's result or one of its checkpoints, by the name OpenAI's API gives it: straight from the job (no need to
     * wait for the registry), and only under the very name the job's {@code fine_tuned_model} has.
     */
    private ChatTarget fineTuned(String projectId, String model, FineTunedModelName name) {
        JobView job = jobs.find(projectId, name.jobId()).orElseThrow(() -> unknown(model));
        if (models.versionOfJob(projectId, job.id()).filter(v -> ModelReadModel.ARCHIVED.equals(v.status()))
                .isPresent()) {
            throw new UnknownModel("The model '" + model + "' is archived (deleted)");
        }
        String expected = FineTunedModelName.of(job.baseModel(), projectId, suffixOf(projectId, job), job.id());
        boolean full = "full".equals(job.method());
        if (name.checkpointStep() == null) {
            if (!model.equals(expected) || !"succeeded".equals(job.state()) || job.artifactKey() == null) {
                throw unknown(model);
            }
            return target(projectId, model, model, "projects/" + projectId + "/jobs/" + job.id() + "/output",
                    job.baseModel(), prefix(job.artifactKey()), job.artifactSha256(), full, null);
        }
        long step = name.checkpointStep();
        JobView.Checkpoint checkpoint = jobs.checkpoints(projectId, job.id()).stream()
                .filter(c -> c.step() == step).findFirst().orElseThrow(() -> unknown(model));
        if (!model.equals(FineTunedModelName.checkpoint(job.baseModel(), projectId, suffixOf(projectId, job),
                job.id(), step))) {
            throw unknown(model);
        }
        return target(projectId, model, model, "projects/" + projectId + "/jobs/" + job.id() + "/step-" + step,
                job.baseModel(), prefix(checkpoint.objectKey()), checkpoint.sha256(), full, full ? "model" : "adapter");
    }

    /** The suffix of a job's {@code ft:} name: the one its {@code /v1} request gave, else its model's name. */
    private String suffixOf(String projectId, JobView job) {
        return requests.find(projectId, job.id()).map(JobRequestStore.JobRequest::suffix).orElse(job.modelName());
    }

    private static String prefix(String key) {
        return key.endsWith("/") ? key : key + "/";
    }

    private static UnknownModel unknown(String model) {
        return new UnknownModel("The model '" + model + "' does not exist");
    }
}
