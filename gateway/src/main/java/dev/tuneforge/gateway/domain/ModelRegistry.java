package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.ModelArchiveRequested;
import dev.tuneforge.events.PromotionRequested;
import dev.tuneforge.events.RollbackRequested;
import dev.tuneforge.events.TuneforgeEvent;
import dev.tuneforge.gateway.storage.DatasetReadModel;
import dev.tuneforge.gateway.storage.EvalReadModel;
import dev.tuneforge.gateway.storage.JobReadModel;
import dev.tuneforge.gateway.storage.ModelReadModel;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.naming.Names;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.util.ArrayList;
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
        return models.find(projectId, name).orElseThrow(() -> DomainException.notFound("no model '" + name + "'"));
    }

    public ModelVersionView version(String projectId, String name, int version) {
        return models.version(projectId, name, version).orElseThrow(() -> {
            model(projectId, name);
            return DomainException.notFound("model '" + name + "' has no version " + version);
        });
    }

    /**
     * The model card of a version: what it was trained from and how (base model and its digest, method,
     * hyperparameters, dataset version and its content digest), who asked and when, and its evaluation.
     */
    public ModelCard card(String projectId, String name, int number) {
        ModelVersionView version = version(projectId, name, number);
        ModelCard.Recipe recipe = version.jobId() == null ? null : jobs.find(projectId, version.jobId())
                .map(j -> new ModelCard.Recipe(baseModel(j.baseModel()), j.method(), j.hyperparameters(),
                        dataset(projectId, j), new ModelCard.Training(
                                models.requestedBy(projectId, j.id()).orElse(null), j.createdAt(), j.startedAt(),
                                j.finishedAt(), j.bestStep(), j.metrics())))
                .orElse(null);
        EvalView eval = version.jobId() == null ? null : evals.latestOfJob(projectId, version.jobId())
                .map(e -> e.withReport(evaluations.report(projectId, e.reportKey()).orElse(null))).orElse(null);
        return new ModelCard(version.name(), version.version(), version.status(), version.aliases(),
                version.createdAt(), version.artifactKey(), version.artifactSha256(), version.jobId(), recipe, eval);
    }

    /** Upstream lineage: version → job → dataset version → the upload it came from, with every digest. */
    public ModelLineage lineage(String projectId, String name, int number) {
        ModelVersionView version = version(projectId, name, number);
        ModelLineage.Model model = new ModelLineage.Model(version.name(), version.version(), version.status(),
                version.artifactKey(), version.artifactSha256(), version.createdAt());
        Optional<JobView> job = version.jobId() == null ? Optional.empty() : jobs.find(projectId, version.jobId());
        if (job.isEmpty()) {
            return new ModelLineage(model, null, null, null);
        }
        JobView j = job.get();
        ModelLineage.Job jobNode = new ModelLineage.Job(j.id(), j.state(), j.method(), j.hyperparameters(),
                models.requestedBy(projectId, j.id()).orElse(null), j.createdAt(), j.finishedAt(), j.artifactKey(),
                j.artifactSha256(), baseModel(j.baseModel()));
        if (j.datasetId() == null || j.datasetVersion() == null) {
            return new ModelLineage(model, jobNode, null, null);
        }
        ModelLineage.DatasetVersion datasetVersion = datasets.version(projectId, j.datasetId(), j.datasetVersion())
                .map(v -> new ModelLineage.DatasetVersion(v.datasetId(),
                        datasets.find(projectId, j.datasetId()).map(DatasetView::name).orElse(null), v.version(),
                        v.parentVersion(), v.contentSha256(), v.trainKey(), v.trainSha256(), v.validationKey(),
                        v.validationSha256(), v.createdAt()))
                .orElse(null);
        ModelLineage.Upload upload = datasets.uploadOf(projectId, j.datasetId(), j.datasetVersion())
                .map(ModelRegistry::upload).orElse(null);
        return new ModelLineage(model, jobNode, datasetVersion, upload);
    }

    /** Downstream lineage: every model version trained on a dataset version (404 if the dataset is not the project's). */
    public List<ModelVersionView> trainedOn(String projectId, String datasetId, int version) {
        datasets.version(projectId, datasetId, version).orElseThrow(() -> DomainException.notFound(
                "dataset '" + datasetId + "' has no version " + version));
        return models.trainedOn(projectId, datasetId, version);
    }

    /** Asks registry-service to point {@code alias} (default champion) at a version. */
    public PromotionRequested promote(Caller caller, String name, Integer version, String alias) {
        model(caller.projectId(), name);
        if (version == null) {
            throw DomainException.missing("'version' is required");
        }
        String target = alias == null || alias.isBlank() ? CHAMPION : alias;
        List<String> errors = new ArrayList<>();
        Names.aliasProblem("alias", target).ifPresent(errors::add);
        if (models.version(caller.projectId(), name, version).isEmpty()) {
            errors.add("version: model '" + name + "' has no version " + version);
        }
        if (!errors.isEmpty()) {
            throw DomainException.unprocessable("invalid-promotion", "Invalid promotion", errors);
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
                DomainException.notFound("model '" + name + "' has no version " + version));
        List<String> aliases = model.aliases().entrySet().stream().filter(e -> e.getValue() == version)
                .map(Map.Entry::getKey).sorted().toList();
        if (!aliases.isEmpty()) {
            throw DomainException.invalid("model '" + name + "' version " + version + " is " + String.join(", ", aliases)
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

    private ModelCard.BaseModel baseModel(String name) {
        return new ModelCard.BaseModel(name, name == null ? null
                : baseModels.find(name).map(m -> m.path("sha256").asText(null)).orElse(null));
    }

    private ModelCard.Dataset dataset(String projectId, JobView job) {
        return new ModelCard.Dataset(job.datasetId(), job.datasetId() == null ? null
                : datasets.find(projectId, job.datasetId()).map(DatasetView::name).orElse(null), job.datasetVersion(),
                job.datasetId() == null || job.datasetVersion() == null ? null
                        : datasets.version(projectId, job.datasetId(), job.datasetVersion())
                        .map(DatasetVersionView::contentSha256).orElse(null));
    }

    private static ModelLineage.Upload upload(JsonNode payload) {
        return new ModelLineage.Upload(payload.path("objectKey").asText(null), payload.path("sha256").asText(null),
                payload.path("sizeBytes").isNumber() ? payload.path("sizeBytes").asLong() : null,
                payload.path("validationObjectKey").asText(null), payload.path("uploadedBy").asText(null),
                payload.path("uploadedAt").asText(null));
    }
}
