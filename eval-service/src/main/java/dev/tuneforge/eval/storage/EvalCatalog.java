package dev.tuneforge.eval.storage;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.eval.gate.Gate;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.recipe.Recipe;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;

/**
 * What eval-service learns from other services' events: held-out splits of dataset versions (and their format),
 * registered model versions and the champion of each model name, pipelines' gates, jobs' requested hyperparameters;
 * and the cache of per-example results.
 * Dataset versions and cached results are looked up within one project only: a gate or a run can name another
 * project's dataset id, and ids are not trusted to be unique across projects.
 */
@ApplicationScoped
public class EvalCatalog {

    /**
     * @param format   the dataset's format ({@code DatasetReady.format}), {@code chat} when it was not recorded
     * @param trainKey the version's training split, where the few-shot baseline's examples come from
     */
    public record HeldOut(String validationKey, long examples, String format, String trainKey) {

        /** Whether the examples are preference pairs (evaluated as such: {@code DataFormat.PREFERENCE}). */
        public boolean preferencePairs() {
            return Recipe.PREFERENCE_FORMAT.equals(format);
        }
    }

    /**
     * The file to evaluate a general-purpose set of {@code projectId} on: its validation split, else its training
     * file (as {@link HeldOut#validationKey}); empty if the project has no such ready dataset version.
     */
    public Optional<HeldOut> generalSet(String projectId, String datasetId, int version) {
        return jdbc.queryOne("SELECT coalesce(validation_key, train_key), validation_examples, format, train_key FROM "
                + "dataset_versions WHERE project_id = ? AND dataset_id = ? AND version = ?", EvalCatalog::heldOut,
                projectId, datasetId, version);
    }

    /** A model name's champion; {@code baseModel} and {@code method} null when its registration did not say. */
    public record Champion(int version, String jobId, String artifactKey, String baseModel, String method) { }

    private final Jdbc jdbc;

    public EvalCatalog(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void datasetReady(DatasetReady e) {
        jdbc.update("""
                INSERT INTO dataset_versions (dataset_id, version, project_id, validation_key, validation_examples,
                                              train_key, format)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                e.datasetId(), e.version(), e.projectId(), e.validationExamples() > 0 ? e.validationKey() : null,
                e.validationExamples(), e.trainKey(), e.format());
    }

    public Optional<HeldOut> heldOut(String projectId, String datasetId, int version) {
        return jdbc.queryOne("SELECT validation_key, validation_examples, format, train_key FROM dataset_versions WHERE "
                + "project_id = ? AND dataset_id = ? AND version = ?", EvalCatalog::heldOut, projectId, datasetId,
                version);
    }

    private static HeldOut heldOut(java.sql.ResultSet r) throws java.sql.SQLException {
        return new HeldOut(r.getString(1), r.getLong(2), r.getString(3) == null ? "chat" : r.getString(3),
                r.getString(4));
    }

    /** A job's request: its hyperparameters as asked for, for what an evaluation needs of them (DPO's beta). */
    public void jobRequested(TrainingRequested e) {
        jdbc.update("""
                INSERT INTO job_requests (job_id, project_id, method, hyperparameters) VALUES (?, ?, ?, ?)
                ON CONFLICT (job_id) DO NOTHING""",
                e.jobId(), e.projectId(), e.method(), json(e.hyperparameters() == null ? Map.of() : e.hyperparameters()));
    }

    /**
     * The DPO {@code beta} a job of {@code projectId} was requested with ({@link Recipe#DEFAULT_BETA} when it named
     * none), or empty while its {@code TrainingRequested} has not been seen here.
     */
    public Optional<Double> beta(String projectId, String jobId) {
        return jdbc.queryOne("SELECT hyperparameters FROM job_requests WHERE project_id = ? AND job_id = ?",
                r -> r.getString(1), projectId, jobId)
                .map(hyperparameters -> map(hyperparameters).get("beta") instanceof Number beta ? beta.doubleValue()
                        : Recipe.DEFAULT_BETA);
    }

    /**
     * The general set a job of {@code projectId} mixed into its training ({@code hyperparameters.mix}, {@link
     * Recipe.Mix}) as a forgetting set: the version its request pinned, else (a pipeline's request, as given) the
     * latest ready version of the project known here; empty without a mix, or while the request has not been seen.
     */
    public Optional<Gate.Forgetting> mixedInSet(String projectId, String jobId) {
        Optional<Recipe.Mix> mix = jdbc.queryOne("SELECT hyperparameters FROM job_requests WHERE project_id = ? AND "
                + "job_id = ?", r -> r.getString(1), projectId, jobId).flatMap(h -> Recipe.Mix.of(map(h)));
        if (mix.isEmpty()) {
            return Optional.empty();
        }
        if (mix.get().datasetVersion() != null) {
            return Optional.of(new Gate.Forgetting(mix.get().datasetId(), mix.get().datasetVersion()));
        }
        return jdbc.queryOne("""
                SELECT version FROM dataset_versions WHERE project_id = ? AND dataset_id = ?
                ORDER BY version DESC LIMIT 1""", r -> r.getInt(1), projectId, mix.get().datasetId())
                .map(version -> new Gate.Forgetting(mix.get().datasetId(), version));
    }

    public void modelRegistered(ModelRegistered e) {
        jdbc.update("""
                INSERT INTO model_versions (project_id, model_name, version, job_id, artifact_key, base_model, method,
                                            dataset_id, dataset_version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                e.projectId(), e.modelName(), e.version(), e.jobId(), e.artifactKey(), e.baseModel(), e.method(),
                e.datasetId(), e.datasetVersion());
    }

    public void modelPromoted(ModelPromoted e) {
        if (!"champion".equals(e.alias())) {
            return;
        }
        jdbc.update("""
                INSERT INTO champions (project_id, model_name, version) VALUES (?, ?, ?)
                ON CONFLICT (project_id, model_name) DO UPDATE SET version = EXCLUDED.version""",
                e.projectId(), e.modelName(), e.version());
    }

    public Optional<Champion> champion(String projectId, String modelName) {
        return jdbc.queryOne("""
                SELECT c.version, v.job_id, v.artifact_key, v.base_model, v.method FROM champions c
                JOIN model_versions v USING (project_id, model_name, version)
                WHERE c.project_id = ? AND c.model_name = ?""",
                r -> new Champion(r.getInt(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5)),
                projectId, modelName);
    }

    public void pipelineConfigured(PipelineConfigured e) {
        gateConfigured(e.pipelineId(), e.gate());
        jdbc.update("""
                UPDATE pipeline_gates SET project_id = ?, model_name = ?, triggers = ?, status = ?, configured_at = now()
                WHERE pipeline_id = ?""",
                e.projectId(), e.modelName(), json(e.triggers() == null ? Map.of() : e.triggers()), e.status(),
                e.pipelineId());
    }

    /**
     * What a model version's drift baseline is made from: its base model (whose tokenizer counts), and the training
     * split of the dataset version it was trained on. Empty while the version, or that dataset version, is not known
     * here, or when its registration named no dataset.
     */
    public Optional<TrainedOn> trainedOn(String projectId, String modelName, int version) {
        return jdbc.queryOne("""
                SELECT v.base_model, v.dataset_id, v.dataset_version, d.train_key, d.format FROM model_versions v
                JOIN dataset_versions d ON d.project_id = v.project_id AND d.dataset_id = v.dataset_id
                                       AND d.version = v.dataset_version
                WHERE v.project_id = ? AND v.model_name = ? AND v.version = ? AND v.base_model IS NOT NULL
                  AND d.train_key IS NOT NULL""",
                r -> new TrainedOn(r.getString(1), r.getString(2), r.getInt(3), r.getString(4),
                        r.getString(5) == null ? "chat" : r.getString(5)), projectId, modelName, version);
    }

    /** A model version's base model and training data (see {@link #trainedOn}). */
    public record TrainedOn(String baseModel, String datasetId, int datasetVersion, String trainKey, String format) { }

    /** The gate and triggers of the pipeline that trains a model name; the latest configured one if several do. */
    public record ModelPipeline(String pipelineId, Map<String, Object> gate, Map<String, Object> triggers) { }

    public Optional<ModelPipeline> pipelineOf(String projectId, String modelName) {
        return jdbc.queryOne("""
                SELECT pipeline_id, gate, triggers FROM pipeline_gates
                WHERE project_id = ? AND model_name = ? AND coalesce(status, 'active') <> 'deleted'
                ORDER BY configured_at DESC, pipeline_id LIMIT 1""",
                r -> new ModelPipeline(r.getString(1), map(r.getString(2)),
                        r.getString(3) == null ? Map.of() : map(r.getString(3))), projectId, modelName);
    }

    /**
     * The gate of a pipeline or a sweep, by its id ({@code pipeline_gates} holds both: the ids do not collide, and an
     * eval run's {@code pipeline_id} names whichever's gate it is judged by). Null: the default gate.
     */
    public void gateConfigured(String ownerId, Map<String, Object> gate) {
        jdbc.update("""
                INSERT INTO pipeline_gates (pipeline_id, gate) VALUES (?, ?)
                ON CONFLICT (pipeline_id) DO UPDATE SET gate = EXCLUDED.gate""",
                ownerId, json(gate == null ? Map.of() : gate));
    }

    public Optional<Map<String, Object>> gate(String pipelineId) {
        if (pipelineId == null) {
            return Optional.empty();
        }
        return jdbc.queryOne("SELECT gate FROM pipeline_gates WHERE pipeline_id = ?", r -> r.getString(1), pipelineId)
                .map(EvalCatalog::map);
    }

    /**
     * The results of {@code subject} on a dataset version of {@code projectId} as {@code runtime} computed them, if
     * they were.
     */
    public Optional<String> cached(String projectId, String subject, String runtime, String datasetId, int version) {
        return jdbc.queryOne("SELECT results_key FROM eval_cache WHERE project_id = ? AND subject = ? AND runtime = ? "
                + "AND dataset_id = ? AND dataset_version = ?", r -> r.getString(1), projectId, subject, runtime,
                datasetId, version);
    }

    public void cache(String projectId, String subject, String runtime, String datasetId, int version,
                      String resultsKey) {
        jdbc.update("INSERT INTO eval_cache (project_id, subject, runtime, dataset_id, dataset_version, results_key) "
                + "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", projectId, subject, runtime, datasetId, version,
                resultsKey);
    }

    static String json(Object o) {
        try {
            return EventCodec.mapper().writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(String json) {
        try {
            return EventCodec.mapper().readValue(json, Map.class);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
