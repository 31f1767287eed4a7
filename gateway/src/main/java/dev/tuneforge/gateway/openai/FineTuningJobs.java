package dev.tuneforge.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.gateway.api.OpenAiError;
import dev.tuneforge.gateway.domain.BaseModelCatalog;
import dev.tuneforge.gateway.domain.Caller;
import dev.tuneforge.gateway.domain.DatasetView;
import dev.tuneforge.gateway.domain.EventView;
import dev.tuneforge.gateway.domain.DatasetUploads;
import dev.tuneforge.gateway.domain.DomainException;
import dev.tuneforge.gateway.domain.JobView;
import dev.tuneforge.gateway.domain.StoredUpload;
import dev.tuneforge.gateway.domain.TrainingJobs;
import dev.tuneforge.gateway.openai.FileStore.StoredFile;
import dev.tuneforge.gateway.openai.FineTuningJob.JobError;
import dev.tuneforge.gateway.openai.JobRequestStore.JobRequest;
import dev.tuneforge.gateway.storage.DatasetReadModel;
import dev.tuneforge.gateway.storage.EventReadModel;
import dev.tuneforge.gateway.storage.JobReadModel;
import dev.tuneforge.gateway.storage.ModelReadModel;
import dev.tuneforge.kit.naming.Names;
import dev.tuneforge.kit.recipe.Recipe;
import dev.tuneforge.kit.recipe.RecipeException;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Fine-tuning jobs created through {@code /v1/fine_tuning/jobs}, on the platform's one job model.
 *
 * <p>A job names files, not a dataset. Creating it makes a dataset of its files (or reuses the one an earlier job
 * made of the same files) and records the request ({@code openai_jobs}, state {@code validating_files}) in the
 * transaction that announces the dataset. When dataset-service's verdict comes back, the read model's projection calls
 * {@link #datasetReady} or {@link #datasetRejected} in its own transaction: the job is then announced like any
 * other (TrainingRequested, with the id it was created with), or fails with OpenAI's {@code error}. From then on it is
 * the job of {@code /api/v1/jobs}: trainer-service runs it, eval-service gates it, the registry registers it, and
 * both surfaces show it.
 */
@ApplicationScoped
public class FineTuningJobs {

    /** The body of {@code POST /v1/fine_tuning/jobs}. */
    public record CreateJob(String model, String trainingFile, String validationFile, String suffix, Long seed,
                            Map<String, Object> metadata, JsonNode integrations, JsonNode hyperparameters,
                            JsonNode method) {
    }

    /** The recipe's method of a {@code supervised} job. */
    static final String TUNEFORGE_METHOD = "lora";
    private static final int MAX_SUFFIX = 64;
    private static final int MAX_METADATA = 16;
    private static final int MAX_METADATA_KEY = 64;
    private static final int MAX_METADATA_VALUE = 512;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileStore files;
    private final JobRequestStore requests;
    private final JobReadModel jobs;
    private final DatasetReadModel datasets;
    private final DatasetUploads uploads;
    private final TrainingJobs trainingJobs;
    private final BaseModelCatalog baseModels;
    private final EventReadModel events;
    private final ModelReadModel models;

    public FineTuningJobs(FileStore files, JobRequestStore requests, JobReadModel jobs, DatasetReadModel datasets,
                          DatasetUploads uploads, TrainingJobs trainingJobs, BaseModelCatalog baseModels,
                          EventReadModel events, ModelReadModel models) {
        this.models = models;
        this.events = events;
        this.files = files;
        this.requests = requests;
        this.jobs = jobs;
        this.datasets = datasets;
        this.uploads = uploads;
        this.trainingJobs = trainingJobs;
        this.baseModels = baseModels;
    }

    public FineTuningJob create(Caller caller, CreateJob body) {
        if (body == null) {
            throw OpenAiErrors.invalid(null, "send a JSON body with at least 'model' and 'training_file'");
        }
        if (body.model() == null || body.model().isBlank()) {
            throw OpenAiErrors.invalid("model", "'model' is required: the base model to fine-tune");
        }
        Optional<JsonNode> manifest = baseModels.find(body.model());
        if (manifest.isEmpty()) {
            List<String> names = baseModels.names();
            throw OpenAiErrors.invalid("model", "'" + body.model() + "' is not a base model of this platform; it has "
                    + (names.isEmpty() ? "none" : String.join(", ", names)));
        }
        StoredFile training = fineTuneFile(caller, body.trainingFile(), "training_file");
        StoredFile validation = body.validationFile() == null ? null
                : fineTuneFile(caller, body.validationFile(), "validation_file");
        String suffix = checkSuffix(body.suffix());
        Map<String, String> metadata = checkMetadata(body.metadata());
        RequestedMethod method = methodOf(body);
        Map<String, Object> recipe = OpenAiHyperparameters.toRecipe(method.hyperparameters(), method.recipeMethod(),
                method.param());
        if (body.seed() != null) {
            if (body.seed() < 0 || body.seed() > Integer.MAX_VALUE) {
                throw OpenAiErrors.invalid("seed", "'seed' must be between 0 and " + Integer.MAX_VALUE);
            }
            recipe.put("seed", body.seed().intValue());
        }
        try {
            Recipe.resolve(method.recipeMethod(), recipe, 0, BaseModelCatalog.shape(manifest.get()));
        } catch (RecipeException e) {
            throw OpenAiErrors.invalid("hyperparameters", String.join("; ", e.errors()));
        }
        String modelName = suffix != null ? suffix : TrainingJobs.defaultModelName(stem(training.filename()));

        String jobId = TrainingJobs.newJobId();
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
        Optional<DatasetView> reused = requests.datasetOf(caller.projectId(), training.id(),
                        validation == null ? null : validation.id())
                .flatMap(id -> datasets.find(caller.projectId(), id))
                .filter(dataset -> dataset.version() != null || "validating".equals(dataset.status()));
        DatasetUploaded upload = reused.isPresent() ? null : uploads.copyOf(caller.projectId(), caller.keyId(),
                training.filename(), stored(training), validation == null ? null : stored(validation));
        ObjectNode request = JSON.createObjectNode();
        request.put("base_model", body.model());
        request.put("method", method.recipeMethod());
        request.set("hyperparameters", JSON.valueToTree(recipe));
        request.put("model_name", modelName);
        JobRequest row = new JobRequest(jobId, caller.projectId(), JobRequestStore.VALIDATING_FILES, body.model(),
                training.id(), validation == null ? null : validation.id(),
                reused.map(DatasetView::id).orElseGet(() -> upload.datasetId()), suffix, body.seed(), metadata,
                body.integrations() == null ? JSON.createArrayNode() : body.integrations(), method.asRequested(),
                request, caller.keyId(), null, null, null, now, now);
        // The answer is read in the job's own transaction: a fault reading it rolls the job back, so the 503 it
        // gets is true ("not carried out, send again") and the client's retry makes the one job, not a second.
        return QuarkusTransaction.joiningExisting().call(() -> {
            if (upload != null) {
                uploads.record(upload);
                requests.insert(row);
                return get(caller, jobId);
            }
            // A reused dataset's verdict may be projected right now: serialised with the live projection (which
            // holds this lock), the job either sees the verdict here or is among the jobs the projection moves on.
            requests.lockAgainstProjection();
            requests.insert(row);
            DatasetView dataset = datasets.find(caller.projectId(), row.datasetId()).orElseThrow();
            if (dataset.version() != null) {
                startTraining(row, dataset.version(), dataset.format());
            } else if (!"validating".equals(dataset.status())) {
                requests.failed(jobId, new JobError("invalid_file_format", "The job failed due to an invalid"
                        + " training file " + training.id() + ": its dataset " + dataset.id() + " was rejected",
                        "training_file"), now());
            }
            return get(caller, jobId);
        });
    }

    public FineTuningJob get(Caller caller, String jobId) {
        Optional<JobRequest> request = requests.find(caller.projectId(), jobId);
        Optional<JobView> job = jobs.find(caller.projectId(), jobId);
        if (request.isEmpty() && job.isEmpty()) {
            throw notFound(jobId);
        }
        return JobViews.of(caller.projectId(), job.orElse(null), request.orElse(null),
                job.map(j -> trainedTokens(caller.projectId(), j)).orElse(null));
    }

    /** The training split's tokens times the epochs: what a succeeded job trained on (OpenAI's billed tokens). */
    private Long trainedTokens(String projectId, JobView job) {
        if (!"succeeded".equals(job.state()) || job.datasetVersion() == null || job.hyperparameters() == null) {
            return null;
        }
        return datasets.version(projectId, job.datasetId(), job.datasetVersion())
                .filter(version -> version.tokenStats() != null && version.tokenStats().hasNonNull("total"))
                .map(version -> version.tokenStats().get("total").asLong()
                        * job.hyperparameters().path("epochs").asLong(1))
                .orElse(null);
    }

    public OpenAiList<FineTuningJob> list(Caller caller, String after, Integer limit, Map<String, String> metadata) {
        int size = OpenAiList.limit(limit, 20, 100);
        List<FineTuningJob> page = requests.page(caller.projectId(), metadata, blankToNull(after), size + 1).stream()
                .map(id -> get(caller, id)).toList();
        return OpenAiList.of(page, size, FineTuningJob::id);
    }

    /** The job's events, newest first (OpenAI's order); {@code after} is an event id of an earlier page. */
    public OpenAiList<JobEvent> events(Caller caller, String jobId, String after, Integer limit) {
        Optional<JobRequest> request = requests.find(caller.projectId(), jobId);
        if (request.isEmpty() && jobs.find(caller.projectId(), jobId).isEmpty()) {
            throw notFound(jobId);
        }
        int size = OpenAiList.limit(limit, 20, 100);
        List<JobEvent> newest = request.map(JobEvents::validationOutcome).orElse(List.of());
        List<JobEvent> oldest = request.map(JobEvents::creation).orElse(List.of());
        String from = blankToNull(after);
        Long before = JobEvents.seqOf(from);
        List<JobEvent> page = new ArrayList<>();
        boolean afterSynthetic = from != null && before == null;
        if (from == null) {
            page.addAll(newest);
        }
        int oldestFrom = 0;
        if (afterSynthetic && oldest.stream().anyMatch(e -> e.id().equals(from))) {
            oldestFrom = oldest.stream().map(JobEvent::id).toList().indexOf(from) + 1;
        } else {
            if (afterSynthetic && newest.stream().noneMatch(e -> e.id().equals(from))) {
                throw OpenAiErrors.invalid("after", "'after' names no event of job " + jobId + ": " + from);
            }
            // Platform events that say nothing to the job's owner are skipped, so read a little more than asked.
            List<EventView> platform = events.listBySubjectNewestFirst(caller.projectId(), jobId, before, 2 * size + 2);
            platform.forEach(view -> JobEvents.of(view).ifPresent(page::add));
            if (platform.size() == 2 * size + 2) {
                oldestFrom = oldest.size(); // more platform events come before the creation's
            }
        }
        page.addAll(oldest.subList(oldestFrom, oldest.size()));
        return OpenAiList.of(page.size() > size + 1 ? page.subList(0, size + 1) : page, size, JobEvent::id);
    }

    /** The job's checkpoints, the newest step first; {@code after} is a checkpoint id of an earlier page. */
    public OpenAiList<JobCheckpoint> checkpoints(Caller caller, String jobId, String after, Integer limit) {
        FineTuningJob job = get(caller, jobId);
        int size = OpenAiList.limit(limit, 10, 100);
        Map<Long, JobView.Metric> metrics = new java.util.HashMap<>();
        jobs.metrics(caller.projectId(), jobId).forEach(metric -> metrics.put(metric.step(), metric));
        Optional<JobView> view = jobs.find(caller.projectId(), jobId);
        String suffix = job.userProvidedSuffix() != null ? job.userProvidedSuffix()
                : view.map(JobView::modelName).orElse(null);
        List<JobCheckpoint> all = new ArrayList<>();
        for (JobView.Checkpoint checkpoint : jobs.checkpoints(caller.projectId(), jobId).reversed()) {
            JobView.Metric metric = metrics.get(checkpoint.step());
            Map<String, Object> values = new java.util.LinkedHashMap<>();
            values.put("step", checkpoint.step());
            if (metric != null) {
                values.put("train_loss", metric.trainLoss());
                if (metric.validLoss() != null) {
                    values.put("valid_loss", metric.validLoss());
                }
                if (metric.validTokenAccuracy() != null) {
                    values.put("valid_mean_token_accuracy", metric.validTokenAccuracy());
                }
            }
            all.add(new JobCheckpoint("ftckpt-" + jobId + "-" + checkpoint.step(), "fine_tuning.job.checkpoint",
                    checkpoint.createdAt().toEpochSecond(), FineTunedModelName.checkpoint(job.model(),
                    caller.projectId(), suffix, jobId, checkpoint.step()), jobId, values, checkpoint.step()));
        }
        String from = blankToNull(after);
        int start = 0;
        if (from != null) {
            start = all.stream().map(JobCheckpoint::id).toList().indexOf(from) + 1;
            if (start == 0) {
                throw OpenAiErrors.invalid("after", "'after' names no checkpoint of job " + jobId + ": " + from);
            }
        }
        List<JobCheckpoint> rest = all.subList(start, all.size());
        return OpenAiList.of(rest.size() > size + 1 ? rest.subList(0, size + 1) : rest, size, JobCheckpoint::id);
    }

    /** A succeeded job's result file (a CSV of its steps), or empty if the id is no such file of the project. */
    public Optional<ResultFile> resultFile(Caller caller, String fileId) {
        String jobId = ResultFiles.jobOf(fileId);
        if (jobId == null) {
            return Optional.empty();
        }
        return jobs.find(caller.projectId(), jobId).filter(job -> "succeeded".equals(job.state()))
                .map(job -> {
                    byte[] csv = ResultFiles.csv(jobs.metrics(caller.projectId(), jobId));
                    OffsetDateTime finished = job.finishedAt() != null ? job.finishedAt() : job.updatedAt();
                    return new ResultFile(ResultFiles.file(jobId, finished.toEpochSecond(), csv.length), csv);
                });
    }

    /** A {@code model} a chat request may name, as {@code /v1/models} lists it. */
    public record FineTunedModel(String id, long created) {
    }

    /** The project's succeeded jobs' {@code ft:} models, each followed by its checkpoints (newest first). */
    public List<FineTunedModel> fineTunedModels(String projectId) {
        List<FineTunedModel> found = new ArrayList<>();
        for (JobView job : jobs.list(projectId, "succeeded", null, 1000)) {
            found.addAll(fineTunedModels(projectId, job));
        }
        return found;
    }

    /** The {@code ft:} model (a job's result or checkpoint) that {@link #fineTunedModels} lists as {@code id}. */
    public Optional<FineTunedModel> fineTunedModel(String projectId, String id) {
        return FineTunedModelName.parse(id).flatMap(name -> jobs.find(projectId, name.jobId()))
                .filter(job -> "succeeded".equals(job.state()))
                .flatMap(job -> fineTunedModels(projectId, job).stream().filter(model -> model.id().equals(id))
                        .findFirst());
    }

    /** A succeeded job's {@code ft:} model and its checkpoints (newest first); none without a result or archived. */
    private List<FineTunedModel> fineTunedModels(String projectId, JobView job) {
        if (job.artifactKey() == null || models.versionOfJob(projectId, job.id())
                .filter(version -> ModelReadModel.ARCHIVED.equals(version.status())).isPresent()) {
            return List.of(); // no result, or archived (DELETE /v1/models/{id})
        }
        String suffix = requests.find(projectId, job.id()).map(JobRequest::suffix).orElse(job.modelName());
        OffsetDateTime finished = job.finishedAt() != null ? job.finishedAt() : job.updatedAt();
        List<FineTunedModel> found = new ArrayList<>();
        found.add(new FineTunedModel(FineTunedModelName.of(job.baseModel(), projectId, suffix, job.id()),
                finished.toEpochSecond()));
        for (JobView.Checkpoint checkpoint : jobs.checkpoints(projectId, job.id()).reversed()) {
            found.add(new FineTunedModel(FineTunedModelName.checkpoint(job.baseModel(), projectId, suffix,
                    job.id(), checkpoint.step()), checkpoint.createdAt().toEpochSecond()));
        }
        return found;
    }

    /** A result file and its content. */
    public record ResultFile(FileObject file, byte[] content) {
    }

    /**
     * A job still validating its files is cancelled here; any other is asked of trainer-service, even one requested a
     * moment ago that the read model has not yet (the command follows the request on the same topic and key).
     */
    public FineTuningJob command(Caller caller, String jobId, String action) {
        Optional<JobRequest> request = requests.find(caller.projectId(), jobId);
        Optional<JobView> job = jobs.find(caller.projectId(), jobId);
        if (request.isEmpty() && job.isEmpty()) {
            throw notFound(jobId);
        }
        String status = JobViews.status(job.orElse(null), request.orElse(null));
        if (JobView.FINAL.contains(status)) {
            throw OpenAiErrors.refused("Job " + jobId + " is " + status + " already; it cannot be " + past(action));
        }
        if (JobRequestStore.VALIDATING_FILES.equals(status)) {
            if (!"cancel".equals(action)) {
                throw OpenAiErrors.refused("Job " + jobId + " is validating its files; it can be cancelled, not "
                        + past(action));
            }
            if (!QuarkusTransaction.joiningExisting().call(() -> requests.cancelIfValidating(jobId, now()))) {
                throw OpenAiErrors.conflict("Job " + jobId + " has just left validation; send the cancel again");
            }
        } else if (job.isEmpty()) {
            trainingJobs.announceCommand(caller, jobId, action);
        } else {
            trainingJobs.command(caller, jobId, action);
        }
        return get(caller, jobId);
    }

    /** The dataset's verdict came back ready: announce the jobs that waited for it. In the projection's transaction. */
    public void datasetReady(DatasetReady ready) {
        for (JobRequest request : requests.waitingFor(ready.datasetId())) {
            startTraining(request, ready.version(), ready.format());
        }
    }

    /** The dataset was rejected: the jobs that waited for it fail with what is wrong with their files. */
    public void datasetRejected(DatasetRejected rejected) {
        for (JobRequest request : requests.waitingFor(rejected.datasetId())) {
            requests.failed(request.jobId(), FileErrors.of(rejected, request), now());
        }
    }

    /**
     * Announces the job on its ready dataset, or fails it: files of the wrong kind for its method (a dpo job needs
     * preference pairs, a supervised one is refused them) are OpenAI's {@code invalid_file_format} of the training file.
     */
    private void startTraining(JobRequest row, int datasetVersion, String format) {
        JsonNode request = row.request();
        Optional<String> wrongData = Recipe.dataProblem(request.path("method").asText(), format);
        if (wrongData.isPresent()) {
            requests.failed(row.jobId(), new JobError("invalid_file_format", "The job failed due to an invalid"
                    + " training file " + row.trainingFile() + ": " + wrongData.get(), "training_file"), now());
            return;
        }
        try {
            trainingJobs.create(row.projectId(), row.requestedBy(), row.jobId(), new TrainingJobs.Request(
                    request.path("base_model").asText(), row.datasetId(), datasetVersion,
                    request.path("method").asText(), JSON.convertValue(request.path("hyperparameters"), Map.class),
                    request.path("model_name").asText(), null, null));
            requests.requested(row.jobId(), now());
        } catch (DomainException e) {
            // e.g. a recipe that the data's size makes invalid, or a base model removed meanwhile: the job's error
            requests.failed(row.jobId(), new JobError("invalid_request", e.getMessage(), null), now());
        }
    }

    private StoredFile fineTuneFile(Caller caller, String fileId, String param) {
        if (fileId == null || fileId.isBlank()) {
            throw OpenAiErrors.invalid(param, "'" + param + "' is required: the id of a file uploaded with purpose"
                    + " 'fine-tune'");
        }
        StoredFile file = files.find(caller.projectId(), fileId)
                .orElseThrow(() -> OpenAiErrors.invalid(param, "invalid " + param + ": no file '" + fileId + "'"));
        if (!OpenAiFiles.FINE_TUNE.equals(file.purpose())) {
            throw OpenAiErrors.invalid(param, "invalid " + param + ": file '" + fileId + "' has purpose '"
                    + file.purpose() + "'; fine-tuning needs purpose 'fine-tune'");
        }
        return file;
    }

    private static StoredUpload stored(StoredFile file) {
        return new StoredUpload(file.objectKey(), file.sha256(), file.bytes());
    }

    private static String checkSuffix(String suffix) {
        if (suffix == null || suffix.isEmpty()) {
            return null;
        }
        if (suffix.length() > MAX_SUFFIX) {
            throw OpenAiErrors.invalid("suffix", "'suffix' may have at most " + MAX_SUFFIX + " characters");
        }
        Names.nameProblem("suffix", suffix).ifPresent(problem -> {
            throw OpenAiErrors.invalid("suffix", problem);
        });
        return suffix;
    }

    private static Map<String, String> checkMetadata(Map<String, Object> metadata) {
        if (metadata == null) {
            return null;
        }
        if (metadata.size() > MAX_METADATA) {
            throw OpenAiErrors.invalid("metadata", "'metadata' may have at most " + MAX_METADATA + " pairs, has "
                    + metadata.size());
        }
        Map<String, String> checked = new java.util.LinkedHashMap<>();
        metadata.forEach((key, value) -> {
            if (key.isEmpty() || key.length() > MAX_METADATA_KEY) {
                throw OpenAiErrors.invalid("metadata", "metadata keys have 1 to " + MAX_METADATA_KEY
                        + " characters; '" + key + "' does not");
            }
            if (!(value instanceof String text)) {
                throw OpenAiErrors.invalid("metadata." + key, "metadata values are strings; '" + key + "' is not");
            }
            if (text.length() > MAX_METADATA_VALUE) {
                throw OpenAiErrors.invalid("metadata." + key, "metadata values have at most " + MAX_METADATA_VALUE
                        + " characters; '" + key + "' has " + text.length());
            }
            checked.put(key, text);
        });
        return checked;
    }

    /**
     * The request's method: OpenAI's {@code type} and the recipe's method it stands for, its hyperparameters, where
     * they were in the request (for errors), and the method as the request gave it (kept with the request).
     */
    private record RequestedMethod(String type, String recipeMethod, JsonNode hyperparameters, String param) {

        JsonNode asRequested() {
            ObjectNode method = JSON.createObjectNode();
            method.put("type", type);
            method.putObject(type).set("hyperparameters",
                    hyperparameters == null ? JSON.createObjectNode() : hyperparameters);
            return method;
        }
    }

    /**
     * {@code method.supervised.hyperparameters} or {@code method.dpo.hyperparameters} (dpo: the recipe's method dpo),
     * or the older top-level {@code hyperparameters} of a supervised job; not both.
     */
    private static RequestedMethod methodOf(CreateJob body) {
        JsonNode method = body.method();
        if (method == null || method.isNull()) {
            return new RequestedMethod("supervised", TUNEFORGE_METHOD, body.hyperparameters(), "hyperparameters");
        }
        String type = method.path("type").asText("supervised");
        String recipeMethod = switch (type) {
            case "supervised" -> TUNEFORGE_METHOD;
            case "dpo" -> "dpo";
            case "reinforcement" -> throw OpenAiErrors.invalid("method.type", "method 'reinforcement' is not"
                    + " available on this platform; use 'supervised' or 'dpo'");
            default -> throw OpenAiErrors.invalid("method.type", "'method.type' must be supervised, dpo or"
                    + " reinforcement, was '" + type + "'");
        };
        JsonNode inMethod = method.path(type).path("hyperparameters");
        if (!inMethod.isMissingNode() && body.hyperparameters() != null && !body.hyperparameters().isNull()) {
            throw OpenAiErrors.invalid("hyperparameters", "send hyperparameters in 'method' or at the top level, not"
                    + " both");
        }
        return inMethod.isMissingNode()
                ? new RequestedMethod(type, recipeMethod, body.hyperparameters(), "hyperparameters")
                : new RequestedMethod(type, recipeMethod, inMethod, "method." + type + ".hyperparameters");
    }

    private static String stem(String filename) {
        int dot = filename.lastIndexOf('.');
        return dot > 0 ? filename.substring(0, dot) : filename;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    private static OpenAiError notFound(String jobId) {
        return OpenAiErrors.notFound("fine_tuning_job_id", "No such fine-tuning job: " + jobId);
    }

    private static String past(String action) {
        return action.endsWith("e") ? action + "d" : action + "ed";
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }
}
