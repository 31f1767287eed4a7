package dev.tuneforge.eval.drift;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import dev.tuneforge.drift.DriftEpisodes;
import dev.tuneforge.drift.Metric;
import dev.tuneforge.drift.MetricResult;
import dev.tuneforge.drift.OutputValidity;
import dev.tuneforge.drift.TrafficSample;
import dev.tuneforge.drift.WindowReport;
import dev.tuneforge.eval.metrics.JsonChecks;
import dev.tuneforge.eval.run.FailingSteps;
import dev.tuneforge.eval.storage.EvalCatalog;
import dev.tuneforge.events.DriftDetected;
import dev.tuneforge.events.DriftMeasured;
import dev.tuneforge.events.DriftMetric;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.ObservationsReceived;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.kit.db.AfterCommit;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.storage.ObjectStore;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Cuts each model version's observations into windows and measures each window against the version's baseline.
 *
 * <p>Invariants: every observation object joins at most one window (its {@code drift_batches} row, keyed by object,
 * is written once: a redelivered {@code ObservationsReceived} finds it and does nothing); a window is made of whole
 * batches and its id is derived from its version and first object, so whoever closes it names it the same; closing
 * a window — the batches' window id, the {@code drift_windows} row, the episode states, {@code DriftMeasured} and
 * {@code DriftDetected} in the outbox — is one transaction (the inbox's), so it happens exactly once across
 * redeliveries and restarts. The report object is written before that transaction commits under the window's own
 * key, so a retried close writes the same key again. Observations of a base model (no version) are not measured.
 * A window whose version cannot be measured yet (its registration, dataset version or base model's tokenizer not
 * known here) stays open. Besides each arriving batch, a tick ({@code tuneforge.drift.tick}, 5 s) looks at every open
 * window, so a time window closes when its time is up and a waiting window once its version can be measured, with no
 * further batch; the tick and the consumer lock the open batches ({@code FOR UPDATE}), so only one of them closes a
 * window.
 */
@ApplicationScoped
public class DriftWindows {

    private static final Logger LOG = Logger.getLogger(DriftWindows.class);

    /** A window about to close: its batches (in arrival order) and the span of its observations' times. */
    record Window(String id, String projectId, String modelName, int version, Instant start, Instant end,
                  long observations, List<String> objectKeys) { }

    private record Batch(String objectKey, long observations, Instant receivedAt) { }

    private final Jdbc jdbc;
    private final ObjectStore objects;
    private final ObservationObjects observationObjects;
    private final EvalCatalog catalog;
    private final DriftTokenizers tokenizers;
    private final Baselines baselines;
    private final DriftGauges gauges;
    private final Outbox outbox;
    private final AfterCommit afterCommit;
    private final DriftConfig config;
    private final FailingSteps failing = new FailingSteps(LOG);

    public DriftWindows(Jdbc jdbc, ObjectStore objects, ObservationObjects observationObjects, EvalCatalog catalog,
                        DriftTokenizers tokenizers, Baselines baselines, DriftGauges gauges, Outbox outbox,
                        AfterCommit afterCommit, DriftConfig config) {
        this.jdbc = jdbc;
        this.objects = objects;
        this.observationObjects = observationObjects;
        this.catalog = catalog;
        this.tokenizers = tokenizers;
        this.baselines = baselines;
        this.gauges = gauges;
        this.outbox = outbox;
        this.afterCommit = afterCommit;
        this.config = config;
    }

    /** Call inside the inbox's transaction. */
    public void observationsReceived(ObservationsReceived e) {
        if (e.modelVersion() == null) {
            return;
        }
        observationObjects.read(e.projectId(), e.objectKey(), e.count());
        int added = jdbc.update("""
                INSERT INTO drift_batches (project_id, model_name, model_version, object_key, observations)
                VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                e.projectId(), e.modelName(), e.modelVersion(), e.objectKey(), e.count());
        if (added == 0) {
            LOG.debugf("observation object %s was already received", e.objectKey());
            return;
        }
        closeIfFull(e.projectId(), e.modelName(), e.modelVersion());
    }

    /**
     * Call inside the inbox's transaction, as a pipeline's configuration arrives. The gateway refuses drift triggers
     * eval-service cannot read when a pipeline is created, but an event from an older gateway or another producer may
     * still carry one; it is kept as sent (so the pipeline's gate still applies), and logged as a warning naming the
     * pipeline and what is wrong with the value, and counted, once here rather than at every window check, which
     * then uses the service's defaults for the model.
     */
    public void pipelineConfigured(PipelineConfigured e) {
        try {
            DriftSettings.of(e.triggers() == null ? Map.of() : e.triggers(), DriftSettings.defaults(config));
        } catch (IllegalArgumentException problem) {
            LOG.warnf("pipeline %s of model %s (project %s): %s; eval-service measures its drift windows with the"
                    + " service's defaults until the pipeline is configured again", e.pipelineId(), e.modelName(),
                    e.projectId(), problem.getMessage());
            afterCommit.run(() -> gauges.unreadableTriggers(e.projectId(), e.modelName(), e.pipelineId()));
        }
    }

    /** Every open window, each checked in a transaction of its own (one that fails is logged and tried next tick). */
    @Scheduled(every = "${tuneforge.drift.tick:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "5s")
    void tick() {
        List<Object[]> versions = new ArrayList<>();
        failing.isolated("looking for open drift windows", () -> versions.addAll(jdbc.query(
                "SELECT DISTINCT project_id, model_name, model_version FROM drift_batches WHERE window_id IS NULL",
                r -> new Object[] {r.getString(1), r.getString(2), r.getInt(3)})));
        for (Object[] v : versions) {
            failing.isolated("closing the drift window of " + v[1] + " v" + v[2] + " (project " + v[0] + ")",
                    () -> QuarkusTransaction.requiringNew().run(() -> closeIfFull((String) v[0], (String) v[1],
                            (Integer) v[2])));
        }
    }

    private void closeIfFull(String projectId, String modelName, int version) {
        List<Batch> open = jdbc.query("""
                SELECT object_key, observations, received_at FROM drift_batches
                WHERE project_id = ? AND model_name = ? AND model_version = ? AND window_id IS NULL
                ORDER BY received_at, object_key FOR UPDATE""",
                r -> new Batch(r.getString(1), r.getLong(2), r.getTimestamp(3).toInstant()),
                projectId, modelName, version);
        Optional<EvalCatalog.ModelPipeline> pipeline = catalog.pipelineOf(projectId, modelName);
        DriftSettings settings = settings(pipeline, modelName);
        if (open.isEmpty()) {
            return;
        }
        long observations = open.stream().mapToLong(Batch::observations).sum();
        boolean full = settings.observations() > 0 ? observations >= settings.observations()
                : !open.getFirst().receivedAt().plusSeconds(settings.seconds()).isAfter(now());
        if (!full) {
            return;
        }
        Optional<EvalCatalog.TrainedOn> trainedOn = catalog.trainedOn(projectId, modelName, version);
        if (trainedOn.isEmpty()) {
            LOG.debugf("the drift window of %s v%d (%d observations) waits: the version's registration or training "
                    + "data is not known here yet", modelName, version, observations);
            return;
        }
        Optional<DriftTokenizers.BaseTokenizer> tokenizer = tokenizers.of(trainedOn.get().baseModel());
        if (tokenizer.isEmpty()) {
            LOG.debugf("the drift window of %s v%d waits: base model %s has no tokenizer in the catalogue", modelName,
                    version, trainedOn.get().baseModel());
            return;
        }
        close(projectId, modelName, version, open, settings, trainedOn.get(), tokenizer.get(),
                pipeline.map(EvalCatalog.ModelPipeline::gate).orElse(Map.of()));
    }

    /** The database's clock, the one {@code received_at} is written with. */
    private Instant now() {
        return jdbc.queryOne("SELECT clock_timestamp()", r -> r.getTimestamp(1).toInstant()).orElseThrow();
    }

    private DriftSettings settings(Optional<EvalCatalog.ModelPipeline> pipeline, String modelName) {
        DriftSettings defaults = DriftSettings.defaults(config);
        if (pipeline.isEmpty()) {
            return defaults;
        }
        try {
            return DriftSettings.of(pipeline.get().triggers(), defaults);
        } catch (IllegalArgumentException e) {
            // Warned and counted once, as the pipeline arrived (pipelineConfigured); not at every check.
            LOG.debugf("pipeline %s of model %s: %s; its drift windows use the defaults", pipeline.get().pipelineId(),
                    modelName, e.getMessage());
            return defaults;
        }
    }

    private void close(String projectId, String modelName, int version, List<Batch> batches, DriftSettings settings,
                       EvalCatalog.TrainedOn trainedOn, DriftTokenizers.BaseTokenizer tokenizer,
                       Map<String, Object> gate) {
        JsonNode schema = EventCodec.mapper().valueToTree(gate).get("json_schema");
        boolean schemaChecked = schema != null && !schema.isNull();
        OutputValidity validity = schemaChecked ? validity(JsonChecks.compile(schema)) : new OutputValidity();
        TrafficSample reference = baselines.of(projectId, modelName, version, trainedOn,
                new TrafficFeatures(tokenizer, validity, schemaChecked));
        TrafficFeatures current = new TrafficFeatures(tokenizer, validity, schemaChecked);
        Instant start = null;
        Instant end = null;
        List<String> keys = new ArrayList<>();
        long observations = 0;
        for (Batch batch : batches) {
            keys.add(batch.objectKey());
            for (ObservedLine line : observationObjects.read(projectId, batch.objectKey(), batch.observations())) {
                current.add(line);
                start = start == null || line.time().isBefore(start) ? line.time() : start;
                end = end == null || line.time().isAfter(end) ? line.time() : end;
                observations++;
            }
        }
        TrafficSample window = current.sample();
        String id = windowId(projectId, modelName, version, keys.getFirst());
        Window w = new Window(id, projectId, modelName, version, start, end, observations, keys);
        List<MetricResult> results = reference.size() == 0 || window.size() == 0 ? List.of()
                : WindowReport.compute(reference, window, settings.thresholds(), seed(id)).metrics();
        List<String> detected = episodes(w, results);
        List<DriftMetric> metrics = results.stream().map(m -> new DriftMetric(name(m.metric()), finite(m.statistic()),
                finite(m.score()), m.threshold(), m.crossed())).toList();
        String reportKey = "projects/" + projectId + "/drift/" + modelName + "/v" + version + "/" + id + ".json";
        try {
            objects.put(reportKey, EventCodec.mapper().writeValueAsBytes(DriftReport.of(w, metrics, detected,
                    settings.thresholds(), reference, window, current.unmeasured(), tokenizer.tokenizer())),
                    "application/json");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        jdbc.update("""
                INSERT INTO drift_windows (window_id, project_id, model_name, model_version, window_start, window_end,
                                           observations, report_key, detected)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                id, projectId, modelName, version, Timestamp.from(start), Timestamp.from(end), observations, reportKey,
                json(detected));
        jdbc.update("UPDATE drift_batches SET window_id = ? WHERE project_id = ? AND model_name = ? AND model_version = ?"
                + " AND object_key = ANY (?)", id, projectId, modelName, version, keys.toArray(String[]::new));
        outbox.publish(new DriftMeasured(projectId, modelName, version, id, start, end, observations, metrics,
                reportKey, keys));
        if (!detected.isEmpty()) {
            outbox.publish(new DriftDetected(projectId, modelName, version, id, start, end, observations, metrics,
                    detected, reportKey, keys));
        }
        double validityRate = DriftReport.validityRate(window);
        afterCommit.run(() -> gauges.window(projectId, modelName, version, results, validityRate));
        LOG.infof("drift window %s of %s v%d: %d observations, crossed %s, detected %s", id, modelName, version,
                observations, results.stream().filter(MetricResult::crossed).map(m -> name(m.metric())).toList(),
                detected);
    }

    /** Steps every measured metric's episode; the metrics whose episode this window opened. */
    private List<String> episodes(Window w, List<MetricResult> results) {
        DriftEpisodes episodes = new DriftEpisodes(config.episodeCleanWindows());
        List<String> detected = new ArrayList<>();
        for (MetricResult m : results) {
            String metric = name(m.metric());
            DriftEpisodes.State state = jdbc.queryOne("""
                    SELECT open, clean_windows FROM drift_episodes
                    WHERE project_id = ? AND model_name = ? AND model_version = ? AND metric = ? FOR UPDATE""",
                    r -> new DriftEpisodes.State(r.getBoolean(1), r.getInt(2)), w.projectId(), w.modelName(),
                    w.version(), metric).orElse(DriftEpisodes.State.INITIAL);
            DriftEpisodes.Step step = episodes.next(state, m.crossed());
            jdbc.update("""
                    INSERT INTO drift_episodes (project_id, model_name, model_version, metric, open, clean_windows)
                    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, model_name, model_version, metric)
                    DO UPDATE SET open = EXCLUDED.open, clean_windows = EXCLUDED.clean_windows""",
                    w.projectId(), w.modelName(), w.version(), metric, step.state().open(),
                    step.state().cleanWindows());
            if (step.driftDetected()) {
                detected.add(metric);
            }
        }
        return detected;
    }

    private static OutputValidity validity(JsonSchema schema) {
        return new OutputValidity(node -> JsonChecks.conforms(node.toString(), schema));
    }

    /** {@code dw_} and 24 hex digits of SHA-256 over the version and the window's first object. */
    static String windowId(String projectId, String modelName, int version, String firstObjectKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((projectId + "\n" + modelName + "\n" + version
                    + "\n" + firstObjectKey).getBytes(StandardCharsets.UTF_8));
            return "dw_" + HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long seed(String windowId) {
        return Long.parseUnsignedLong(windowId.substring(3, 19), 16);
    }

    static String name(Metric metric) {
        return metric.name().toLowerCase(Locale.ROOT);
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static String json(Object o) {
        try {
            return EventCodec.mapper().writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
