package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.ModelArchiveRequested;
import dev.tuneforge.events.PromotionRequested;
import dev.tuneforge.events.RollbackRequested;
import dev.tuneforge.events.TuneforgeEvent;
import dev.tuneforge.gateway.api.ApiException;
import dev.tuneforge.gateway.storage.DatasetReadModel;
import dev.tuneforge.gateway.storage.EvalReadModel;
import dev.tuneforge.gateway.storage.JobReadModel;
import dev.tuneforge.gateway.storage.ModelReadModel;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.naming.Names;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The registry as the gateway shows it: models and versions from the read model, joined with the jobs,
 * datasets and evaluations read model for model cards and lineage; promotion and rollback are commands to
 * registry-service through the outbox (it decides; the read model follows its ModelPromoted/ModelRolledBack).
 *
 * <p>Every lookup is by the caller's project: another project's model is a 404 like a missing one.
 */
@ApplicationScoped
public class ModelRegistry {

    public static final String CHAMPION = "champion";

    private final ModelReadModel models;
    private final JobReadModel jobs;
    private final DatasetReadModel datasets;
    private final EvalReadModel evals;
    private final Evaluations evaluations;
    private final BaseModelCatalog baseModels;
    private final Outbox outbox;

    public ModelRegistry(ModelReadModel models, JobReadModel jobs, DatasetReadModel datasets, EvalReadModel evals,
                         Evaluations evaluations, BaseModelCatalog baseModels, Outbox outbox) {
        this.models = models;
        this.jobs = jobs;
        this.datasets = datasets;
        this.evals = evals;
        this.evaluations = evaluations;
        this.baseModels = baseModels;
        this.outbox = outbox;
    }

    public ModelView model(String projectId, String name) {
        return models.find(projectId, name).orElseThrow(() -> ApiException.notFound("no model '" + name + "'"));
    }

    public ModelVersionView version(String projectId, String name, int version) {
        return models.version(projectId, name, version).orElseThrow(() -> {
            model(projectId, name);
            return ApiException.notFound("model '" + name + "' has no version " + version);
        });
    }

    /**
     * The model card of a version: what it was trained from and how (base model and its digest, method,
     * hyperparameters, dataset version and its content digest), who asked and when, and its evaluation.
     */
    public Map<String, Object> card(String projectId, String name, int number) {
        ModelVersionView version = version(projectId, name, number);
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("name", version.name());
        card.put("version", version.version());
        card.put("status", version.status());
        card.put("aliases", version.aliases());
        card.put("registered_at", version.createdAt());
        card.put("artifact_key", version.artifactKey());
        card.put("artifact_sha256", version.artifactSha256());
        card.put("job_id", version.jobId());
        Optional<JobView> job = version.jobId() == null ? Optional.empty() : jobs.find(projectId, version.jobId());
        job.ifPresent(j -> {
            card.put("base_model", baseModel(j.baseModel()));
            card.put("method", j.method());
            card.put("hyperparameters", j.hyperparameters());
            card.put("dataset", dataset(projectId, j));
            Map<String, Object> training = new LinkedHashMap<>();
            training.put("requested_by", models.requestedBy(projectId, j.id()).orElse(null));
            training.put("requested_at", j.createdAt());
            training.put("started_at", j.startedAt());
            training.put("finished_at", j.finishedAt());
            training.put("best_step", j.bestStep());
            training.put("metrics", j.metrics());
            card.put("training", training);
        });
        card.put("eval", version.jobId() == null ? null : evals.latestOfJob(projectId, version.jobId())
                .map(e -> e.withReport(evaluations.report(projectId, e.reportKey()).orElse(null))).orElse(null));
        return card;
    }

    /** Upstream lineage: version → job → dataset version → the upload it came from, with every digest. */
    public Map<String, Object> lineage(String projectId, String name, int number) {
        ModelVersionView version = version(projectId, name, number);
        Map<String, Object> lineage = new LinkedHashMap<>();
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("name", version.name());
        model.put("version", version.version());
        model.put("status", version.status());
        model.put("artifact_key", version.artifactKey());
        model.put("artifact_sha256", version.artifactSha256());
        model.put("registered_at", version.createdAt());
        lineage.put("model", model);
        Optional<JobView> job = version.jobId() == null ? Optional.empty() : jobs.find(projectId, version.jobId());
        Map<String, Object> jobNode = null;
        Map<String, Object> datasetVersion = null;
        Map<String, Object> upload = null;
        if (job.isPresent()) {
            JobView j = job.get();
            jobNode = new LinkedHashMap<>();
            jobNode.put("id", j.id());
            jobNode.put("state", j.state());
            jobNode.put("method", j.method());
            jobNode.put("hyperparameters", j.hyperparameters());
            jobNode.put("requested_by", models.requestedBy(projectId, j.id()).orElse(null));
            jobNode.put("created_at", j.createdAt());
            jobNode.put("finished_at", j.finishedAt());
            jobNode.put("artifact_key", j.artifactKey());
            jobNode.put("artifact_sha256", j.artifactSha256());
            jobNode.put("base_model", baseModel(j.baseModel()));
            if (j.datasetId() != null && j.datasetVersion() != null) {
                Optional<DatasetVersionView> v = datasets.version(projectId, j.datasetId(), j.datasetVersion());
                if (v.isPresent()) {
                    datasetVersion = new LinkedHashMap<>();
                    datasetVersion.put("dataset_id", v.get().datasetId());
                    datasetVersion.put("name", datasets.find(projectId, j.datasetId()).map(DatasetView::name).orElse(null));
                    datasetVersion.put("version", v.get().version());
                    datasetVersion.put("parent_version", v.get().parentVersion());
                    datasetVersion.put("content_sha256", v.get().contentSha256());
                    datasetVersion.put("train_key", v.get().trainKey());
                    datasetVersion.put("train_sha256", v.get().trainSha256());
                    datasetVersion.put("validation_key", v.get().validationKey());
                    datasetVersion.put("validation_sha256", v.get().validationSha256());
                    datasetVersion.put("created_at", v.get().createdAt());
                }
                upload = datasets.uploadOf(projectId, j.datasetId(), j.datasetVersion()).map(ModelRegistry::upload)
                        .orElse(null);
            }
        }
        lineage.put("job", jobNode);
        lineage.put("dataset_version", datasetVersion);
        lineage.put("upload", upload);
        return lineage;
    }

    /** Downstream lineage: every model version trained on a dataset version (404 if the dataset is not the project's). */
    public List<ModelVersionView> trainedOn(String projectId, String datasetId, int version) {
        datasets.version(projectId, datasetId, version).orElseThrow(() -> ApiException.notFound(
                "dataset '" + datasetId + "' has no version " + version));
        return models.trainedOn(projectId, datasetId, version);
    }

    /** Asks registry-service to point {@code alias} (default champion) at a version. */
    public PromotionRequested promote(Caller caller, String name, Integer version, String alias) {
        model(caller.projectId(), name);
        if (version == null) {
            throw ApiException.missing("'version' is required");
        }
        String target = alias == null || alias.isBlank() ? CHAMPION : alias;
        List<String> errors = new ArrayList<>();
        Names.aliasProblem("alias", target).ifPresent(errors::add);
        if (models.version(caller.projectId(), name, version).isEmpty()) {
            errors.add("version: model '" + name + "' has no version " + version);
        }
        if (!errors.isEmpty()) {
            throw ApiException.unprocessable("invalid-promotion", "Invalid promotion", errors);
        }
        PromotionRequested event = new PromotionRequested(caller.projectId(), name, version, target, caller.keyId());
        publish(event);
        return event;
    }

    /** Asks registry-service to give champion back to the previous champion. */
    public RollbackRequested rollback(Caller caller, String name) {
        model(caller.projectId(), name);
        RollbackRequested event = new RollbackRequested(caller.projectId(), name, caller.keyId());
        publish(event);
        return event;
    }

    /**
     * Asks registry-service to archive a version (OpenAI's {@code DELETE /v1/models/{id}}): refused here already if an
     * alias points at it, as registry-service would.
     */
    public ModelArchiveRequested archive(Caller caller, String name, int version) {
        ModelView model = model(caller.projectId(), name);
        ModelVersionView found = models.version(caller.projectId(), name, version).orElseThrow(() ->
                ApiException.notFound("model '" + name + "' has no version " + version));
        List<String> aliases = model.aliases().entrySet().stream().filter(e -> e.getValue() == version)
                .map(Map.Entry::getKey).sorted().toList();
        if (!aliases.isEmpty()) {
            throw ApiException.invalid("model '" + name + "' version " + version + " is " + String.join(", ", aliases)
                    + "; promote another version first");
        }
        ModelArchiveRequested event = new ModelArchiveRequested(caller.projectId(), name, found.version(),
                caller.keyId());
        publish(event);
        return event;
    }

    @Transactional
    void publish(TuneforgeEvent event) {
        outbox.publish(event);
    }

    private Map<String, Object> baseModel(String name) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("name", name);
        node.put("sha256", name == null ? null
                : baseModels.find(name).map(m -> m.path("sha256").asText(null)).orElse(null));
        return node;
    }

    private Map<String, Object> dataset(String projectId, JobView job) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("id", job.datasetId());
        node.put("name", job.datasetId() == null ? null
                : datasets.find(projectId, job.datasetId()).map(DatasetView::name).orElse(null));
        node.put("version", job.datasetVersion());
        node.put("content_sha256", job.datasetId() == null || job.datasetVersion() == null ? null
                : datasets.version(projectId, job.datasetId(), job.datasetVersion())
                .map(DatasetVersionView::contentSha256).orElse(null));
        return node;
    }

    private static Map<String, Object> upload(JsonNode payload) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("object_key", payload.path("objectKey").asText(null));
        node.put("sha256", payload.path("sha256").asText(null));
        node.put("size_bytes", payload.path("sizeBytes").isNumber() ? payload.path("sizeBytes").asLong() : null);
        node.put("validation_object_key", payload.path("validationObjectKey").asText(null));
        node.put("uploaded_by", payload.path("uploadedBy").asText(null));
        node.put("uploaded_at", payload.path("uploadedAt").asText(null));
        return node;
    }
}
