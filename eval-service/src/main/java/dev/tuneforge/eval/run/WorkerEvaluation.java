package dev.tuneforge.eval.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.eval.storage.EvalCatalog;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.worker.protocol.DataFormat;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Per-example results of one subject on one held-out set, from {@code worker evaluate} run by the slot's
 * {@link EvaluationLauncher} (a local process or a Kubernetes Job, as training), cached per project, subject, runtime
 * and dataset version so the base model and a champion are evaluated once per runtime, not once per candidate, and
 * never reused in another project.
 */
@ApplicationScoped
public class WorkerEvaluation {

    /**
     * What is evaluated: a base model from the catalogue, or a job's artifact on top of it.
     *
     * @param artifactKey null for the base model itself
     * @param method      {@code lora} (artifact is an adapter) or {@code full} (artifact is a whole model)
     * @param shots       for the base model prompted with training examples ({@link FewShotHeldOut}): how many; else 0
     */
    public record Subject(String baseModel, String artifactKey, String method, int shots) {
        public Subject(String baseModel, String artifactKey, String method) {
            this(baseModel, artifactKey, method, 0);
        }

        public static Subject base(String baseModel) {
            return new Subject(baseModel, null, null);
        }

        /** The base model on the held-out set with {@code shots} training examples before each example. */
        public static Subject fewShot(String baseModel, int shots) {
            return new Subject(baseModel, null, null, shots);
        }

        String cacheKey(String baseDigest) {
            String key = artifactKey == null ? "base:" + baseModel + "@" + baseDigest : "artifact:" + artifactKey;
            return shots == 0 ? key : "few-shot-" + shots + ":" + key;
        }
    }

    /** Where an evaluation runs: the slot's launcher, and the run's id and attempt to name the work after. */
    public record Placement(EvaluationLauncher launcher, String evalId, int attempt) { }

    private final DirectorySync sync;
    private final ObjectStore store;
    private final EvalCatalog catalog;
    private final EvalConfig config;

    public WorkerEvaluation(DirectorySync sync, ObjectStore store, EvalCatalog catalog, EvalConfig config) {
        this.sync = sync;
        this.store = store;
        this.catalog = catalog;
        this.config = config;
    }

    /**
     * @param format how the held-out file is read: its pairs' results (with log-probabilities) are cached apart from
     *               results computed on the same data read as chat (before formats were recorded)
     */
    public List<ExampleResult> results(String projectId, Subject subject, String datasetId, int version,
                                       String heldOutKey, DataFormat format, Placement placement) {
        String baseDigest = sync.digestOf(ObjectKeys.baseModel(subject.baseModel()));
        String cacheKey = subject.cacheKey(baseDigest == null ? "unversioned" : baseDigest)
                + (format == DataFormat.PREFERENCE ? "#pairs" : "");
        String runtime = placement.launcher().runtime();
        var cached = catalog.cached(projectId, cacheKey, runtime, datasetId, version);
        if (cached.isPresent() && store.exists(cached.get())) {
            return read(cached.get());
        }
        boolean full = "full".equals(subject.method());
        String modelKey = subject.artifactKey() != null && full ? subject.artifactKey()
                : ObjectKeys.baseModel(subject.baseModel());
        EvaluationTask task = new EvaluationTask("eval-" + hash(placement.evalId() + "/" + cacheKey + "/" + datasetId
                + "/" + version), placement.attempt(), subject.baseModel(), subject.artifactKey(), full, heldOutKey,
                format,
                Math.min(1024, maxPositions(modelKey)), config.maxNewTokens(),
                "projects/" + projectId + "/eval/cache/" + hash(runtime + "/" + cacheKey) + "/" + datasetId + "-v"
                        + version + "/");
        try {
            String key = placement.launcher().evaluate(task);
            catalog.cache(projectId, cacheKey, runtime, datasetId, version, key);
            return read(key);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EvaluationException("interrupted", false);
        }
    }

    /**
     * The model's context length ({@code max_position_embeddings} of its config.json in S3; 1024 if unsaid). S3 failing
     * as it is read is thrown as it is (an outage: the evaluation waits for S3), not taken for a model without one.
     */
    private int maxPositions(String modelKey) {
        try (InputStream in = store.get(modelKey + "config.json")) {
            return EventCodec.mapper().readTree(in).path("max_position_embeddings").asInt(1024);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            if (S3Outage.in(e).isPresent()) {
                throw e;
            }
            throw new EvaluationException("the model at " + modelKey + " has no readable config.json: " + e.getMessage(),
                    true);
        }
    }

    /** A failed evaluation; {@code permanent} when retrying cannot help (bad spec or data). */
    public static class EvaluationException extends RuntimeException {
        private final boolean permanent;

        public EvaluationException(String message, boolean permanent) {
            super(message);
            this.permanent = permanent;
        }

        /**
         * The worker ended without results: permanent for {@link ExitCode#BAD_INPUT} (bad spec or data), worth a
         * retry otherwise.
         *
         * @param failed   its {@code failed} event, or null if it printed none (it was killed)
         * @param watchdog why its watchdog stopped or killed it (it went quiet, it ignored SIGTERM), or null; said
         *                 when it printed no {@code failed} event
         */
        public static EvaluationException workerFailed(WorkerExit exit, WorkerEvent.Failed failed, String watchdog) {
            String why = failed != null ? failed.describe() : watchdog;
            return new EvaluationException(exit.describe() + (why == null ? "" : ": " + why),
                    exit.is(ExitCode.BAD_INPUT));
        }

        public boolean permanent() {
            return permanent;
        }
    }

    private List<ExampleResult> read(String key) {
        try (InputStream in = store.get(key)) {
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<ExampleResult> parse(String jsonl) throws IOException {
        List<ExampleResult> out = new ArrayList<>();
        for (String line : jsonl.split("\n")) {
            if (!line.isBlank()) {
                JsonNode node = EventCodec.mapper().readTree(line);
                out.add(ExampleResult.of(node));
            }
        }
        return out;
    }

    private static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)), 0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
