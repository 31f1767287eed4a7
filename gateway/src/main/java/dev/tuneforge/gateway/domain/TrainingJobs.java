package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.TrainingCancelRequested;
import dev.tuneforge.events.TrainingPauseRequested;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingResumeRequested;
import dev.tuneforge.events.TuneforgeEvent;
import dev.tuneforge.gateway.storage.DatasetReadModel;
import dev.tuneforge.gateway.storage.JobReadModel;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.naming.Names;
import dev.tuneforge.kit.recipe.Recipe;
import dev.tuneforge.kit.recipe.RecipeException;
import dev.tuneforge.launcher.WorkerSlots;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Accepts fine-tuning jobs and commands on them. A job is checked against what the gateway knows (the
 * dataset version is ready in the caller's project, its format suits the method ({@link Recipe#dataProblem}: dpo on
 * preference pairs, the other methods on anything else), the runtime has the method ({@link Recipe#runtimeProblem}:
 * qlora and prefix_tuning need torch named), the base model is in the catalogue, the recipe fits both) and then only
 * announced: TrainingRequested goes through the outbox, trainer-service owns the job
 * from there, and the job appears in the read model when the event comes back from the topic.
 */
@ApplicationScoped
public class TrainingJobs {

    private final DatasetReadModel datasets;
    private final JobReadModel jobs;
    private final BaseModelCatalog baseModels;
    private final Outbox outbox;

    public TrainingJobs(DatasetReadModel datasets, JobReadModel jobs, BaseModelCatalog baseModels, Outbox outbox) {
        this.datasets = datasets;
        this.jobs = jobs;
        this.baseModels = baseModels;
        this.outbox = outbox;
    }

    /**
     * A job as the user asks for it; null fields take their defaults.
     *
     * @param runtime {@code djl} or {@code torch}; null: trainer-service's default
     *                ({@code tuneforge.trainer.default-runtime})
     */
    public record Request(String baseModel, String datasetId, Integer datasetVersion, String method,
                          Map<String, Object> hyperparameters, String modelName, Integer priority, String runtime) {
    }

    /** The announced request and when. */
    public record Accepted(TrainingRequested event, OffsetDateTime time) {
    }

    /** What a pipeline or a job binds together, checked: the dataset's version, the base model's manifest, the recipe. */
    public record Checked(DatasetView dataset, DatasetVersionView version, JsonNode baseModel, Recipe recipe,
                          String modelName) {
    }

    public Accepted create(Caller caller, Request request) {
        return create(caller.projectId(), caller.keyId(), newJobId(), request);
    }

    /**
     * Checks and announces a job whose id is given (a job created through {@code /v1} has its id before its files
     * are validated), in the caller's transaction if there is one.
     */
    public Accepted create(String projectId, String requestedBy, String jobId, Request request) {
        Checked checked = check(projectId, request.datasetId(), request.datasetVersion(), request.baseModel(),
                request.method(), request.hyperparameters(), request.modelName(), request.runtime(), true);
        if (request.priority() != null && (request.priority() < -1000 || request.priority() > 1000)) {
            throw DomainException.unprocessable("invalid-job", "Invalid job",
                    List.of("priority: must be between -1000 and 1000, got " + request.priority()));
        }
        TrainingRequested event = new TrainingRequested(projectId, jobId, request.baseModel(),
                checked.dataset().id(), checked.version().version(), checked.recipe().method(),
                checked.recipe().resolved(), checked.modelName(), requestedBy, null, request.priority(),
                request.runtime());
        return new Accepted(event, publish(event));
    }

    public static String newJobId() {
        return "job_" + UUID.randomUUID().toString().replace("-", "");
    }

    /**
     * Checks the parts of a job or pipeline, collecting every error into one 422; a dataset with no
     * ready version is a 409 (it may become ready).
     *
     * @param runtime        the worker runtime asked for, or null for trainer-service's default
     * @param requireVersion a job needs a ready version now; a pipeline only an existing training dataset
     */
    public Checked check(String projectId, String datasetId, Integer datasetVersion, String baseModel, String method,
                         Map<String, Object> hyperparameters, String modelName, String runtime,
                         boolean requireVersion) {
        if (baseModel == null || baseModel.isBlank()) {
            throw DomainException.missing("'base_model' is required");
        }
        if (datasetId == null || datasetId.isBlank()) {
            throw DomainException.missing("'dataset_id' is required");
        }
        List<String> errors = new ArrayList<>();
        Optional<DatasetView> dataset = datasets.find(projectId, datasetId);
        DatasetVersionView version = null;
        if (dataset.isEmpty()) {
            errors.add("dataset_id: no dataset '" + datasetId + "' in this project");
        } else if ("evaluation".equals(dataset.get().purpose())) {
            errors.add("dataset_id: dataset '" + datasetId + "' is an evaluation set; train on a training dataset");
        } else if (datasetVersion != null) {
            version = datasets.version(projectId, datasetId, datasetVersion).orElse(null);
            if (version == null) {
                errors.add("dataset_version: dataset '" + datasetId + "' has no ready version " + datasetVersion
                        + (dataset.get().version() == null ? "" : " (latest ready: " + dataset.get().version() + ")"));
            }
        } else if (dataset.get().version() != null) {
            version = datasets.version(projectId, datasetId, dataset.get().version()).orElse(null);
        } else if (requireVersion) {
            throw DomainException.conflict("dataset '" + datasetId + "' has no ready version yet (its last upload is "
                    + dataset.get().status() + "); wait for validation, or fix the data and upload again");
        }
        String recipeMethod = method == null ? "lora" : method;
        dataset.flatMap(d -> Recipe.dataProblem(recipeMethod, d.format()))
                .ifPresent(problem -> errors.add("method: " + problem + " (dataset '" + datasetId + "')"));
        Optional<String> badBaseModel = Names.nameProblem("base_model", baseModel);
        badBaseModel.ifPresent(errors::add);
        Optional<JsonNode> manifest = baseModels.find(baseModel);
        if (manifest.isEmpty() && badBaseModel.isEmpty()) {
            List<String> names = baseModels.names();
            errors.add("base_model: unknown base model '" + baseModel + "'; registered: "
                    + (names.isEmpty() ? "none (POST /api/v1/base-models)" : String.join(", ", names)));
        }
        String name = modelName != null ? modelName : dataset.map(d -> defaultModelName(d.name())).orElse(null);
        if (name != null) {
            Names.nameProblem("model_name", name).ifPresent(errors::add);
        }
        if (runtime != null && !WorkerSlots.RUNTIMES.contains(runtime)) {
            errors.add("runtime: must be one of " + String.join(", ", new TreeSet<>(WorkerSlots.RUNTIMES)) + ", got '"
                    + runtime + "'");
        } else {
            Recipe.runtimeProblem(recipeMethod, runtime).ifPresent(problem -> errors.add("runtime: " + problem));
        }
        Recipe recipe = null;
        try {
            recipe = Recipe.resolve(recipeMethod, hyperparameters,
                    version == null ? 0 : version.trainExamples(), manifest.map(BaseModelCatalog::shape).orElse(null));
        } catch (RecipeException e) {
            errors.addAll(e.errors());
        }
        Optional<Recipe.Mix> mix = recipe == null ? Optional.empty() : Recipe.Mix.of(recipe.resolved());
        if (mix.isPresent()) {
            Integer pinned = checkMix(projectId, mix.get(), datasetId, dataset.map(DatasetView::format).orElse(null),
                    requireVersion, errors);
            if (pinned != null) {
                recipe = recipe.withMix(mix.get().pinned(pinned, null));
            }
        }
        if (!errors.isEmpty()) {
            throw DomainException.unprocessable("invalid-job", "Invalid job", errors);
        }
        return new Checked(dataset.orElseThrow(), version, manifest.orElseThrow(), recipe, name);
    }

    /**
     * Checks a recipe's general dataset ({@code hyperparameters.mix}): a training dataset of the project other than the
     * job's, of the same format family ({@link Recipe#mixProblem}), with the ready version it names or, for a job, a
     * latest ready one. Returns the version to pin for a job (null for a pipeline, whose retrainings take the latest
     * then, or when something is wrong).
     */
    private Integer checkMix(String projectId, Recipe.Mix mix, String datasetId, String format, boolean requireVersion,
                             List<String> errors) {
        String field = "hyperparameters.mix.dataset_id: ";
        Optional<DatasetView> general = datasets.find(projectId, mix.datasetId());
        if (general.isEmpty()) {
            errors.add(field + "no dataset '" + mix.datasetId() + "' in this project");
            return null;
        }
        if ("evaluation".equals(general.get().purpose())) {
            errors.add(field + "dataset '" + mix.datasetId() + "' is an evaluation set; mix in a training dataset");
            return null;
        }
        if (mix.datasetId().equals(datasetId)) {
            errors.add(field + "the job's own dataset; mix in a general one");
            return null;
        }
        Recipe.mixProblem(format, general.get().format()).ifPresent(problem -> errors.add(field + problem));
        if (mix.datasetVersion() != null) {
            if (datasets.version(projectId, mix.datasetId(), mix.datasetVersion()).isEmpty()) {
                errors.add("hyperparameters.mix.dataset_version: dataset '" + mix.datasetId() + "' has no ready version "
                        + mix.datasetVersion() + (general.get().version() == null ? ""
                        : " (latest ready: " + general.get().version() + ")"));
                return null;
            }
            return requireVersion ? mix.datasetVersion() : null;
        }
        if (general.get().version() == null && requireVersion) {
            errors.add(field + "dataset '" + mix.datasetId() + "' has no ready version yet");
            return null;
        }
        return requireVersion ? general.get().version() : null;
    }

    /** Asks trainer-service to cancel, pause or resume a job; 409 once the job is over. */
    public TuneforgeEvent command(Caller caller, String jobId, String action) {
        JobView job = jobs.find(caller.projectId(), jobId)
                .orElseThrow(() -> DomainException.notFound("no job '" + jobId + "'"));
        if (job.isFinal()) {
            throw DomainException.conflict("job '" + jobId + "' is " + job.state() + " already; it cannot be " + action
                    + (action.endsWith("e") ? "d" : "ed"));
        }
        return announceCommand(caller, jobId, action);
    }

    /**
     * Asks trainer-service to cancel, pause or resume a job without looking it up: for a job whose TrainingRequested
     * is in the outbox but not in the read model yet. Both go to the commands topic with the job's id as key, so
     * trainer-service reads the request before the command.
     */
    public TuneforgeEvent announceCommand(Caller caller, String jobId, String action) {
        TuneforgeEvent event = switch (action) {
            case "cancel" -> new TrainingCancelRequested(caller.projectId(), jobId, caller.keyId());
            case "pause" -> new TrainingPauseRequested(caller.projectId(), jobId, caller.keyId());
            case "resume" -> new TrainingResumeRequested(caller.projectId(), jobId, caller.keyId());
            default -> throw new IllegalArgumentException(action);
        };
        publish(event);
        return event;
    }

    /** "Support Tickets v2" → "support-tickets-v2". */
    public static String defaultModelName(String datasetName) {
        String slug = datasetName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-")
                .replaceAll("^[^a-z0-9]+", "").replaceAll("-+$", "");
        if (slug.isEmpty()) {
            slug = "model";
        }
        return slug.length() > 64 ? slug.substring(0, 64) : slug;
    }

    @Transactional
    OffsetDateTime publish(TuneforgeEvent event) {
        return outbox.publish(event).time();
    }
}
