package dev.tuneforge.eval.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.eval.storage.EvalCatalog;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerEvent;
import dev.tuneforge.launcher.WorkerProcess;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Per-example results of one subject on one held-out set, from {@code worker evaluate} run as a local process
 * (the same launcher as training), cached per subject and dataset version so the base model and a champion
 * are evaluated once, not once per candidate.
 */
@ApplicationScoped
public class WorkerEvaluation {

    /**
     * What is evaluated: a base model from the catalogue, or a job's artifact on top of it.
     *
     * @param artifactKey null for the base model itself
     * @param method      {@code lora} (artifact is an adapter) or {@code full} (artifact is a whole model)
     */
    public record Subject(String baseModel, String artifactKey, String method) {
        public static Subject base(String baseModel) {
            return new Subject(baseModel, null, null);
        }

        String cacheKey(String baseDigest) {
            return artifactKey == null ? "base:" + baseModel + "@" + baseDigest : "artifact:" + artifactKey;
        }
    }

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

    public List<ExampleResult> results(String projectId, Subject subject, String datasetId, int version,
                                       String heldOutKey) {
        String baseDigest = sync.digestOf(ObjectKeys.baseModel(subject.baseModel()));
        String cacheKey = subject.cacheKey(baseDigest == null ? "unversioned" : baseDigest);
        var cached = catalog.cached(cacheKey, datasetId, version);
        if (cached.isPresent() && store.exists(cached.get())) {
            return read(cached.get());
        }
        Path work = Path.of(config.workDir()).toAbsolutePath().resolve(hash(cacheKey + "/" + datasetId + "/" + version));
        try {
            Files.createDirectories(work);
            Path base = stageBase(subject.baseModel(), baseDigest);
            Path model = base;
            Path adapter = null;
            if (subject.artifactKey() != null) {
                Path artifact = work.resolve("artifact");
                sync.download(subject.artifactKey(), artifact);
                if ("full".equals(subject.method())) {
                    model = artifact;
                } else {
                    adapter = artifact;
                }
            }
            Path data = work.resolve("heldout.jsonl");
            sync.getFile(heldOutKey, data);
            int maxPositions = EventCodec.mapper().readTree(model.resolve("config.json").toFile())
                    .path("max_position_embeddings").asInt(1024);
            ObjectNode spec = EventCodec.mapper().createObjectNode();
            spec.put("base_model", model.toString());
            if (adapter != null) {
                spec.put("adapter", adapter.toString());
            }
            spec.putObject("data").put("file", data.toString()).put("format", "chat");
            spec.put("max_seq_length", Math.min(1024, maxPositions));
            spec.put("max_new_tokens", config.maxNewTokens());
            spec.put("output", "results.jsonl");
            spec.put("device", "cpu");
            Path specFile = work.resolve("spec.json");
            EventCodec.mapper().writeValue(specFile.toFile(), spec);

            WorkerProcess worker = WorkerProcess.start(runtime(), "evaluate", specFile, work);
            StringBuilder failure = new StringBuilder();
            int exit = worker.pumpEvents((WorkerEvent e) -> {
                if (e.name().equals("failed")) {
                    failure.append(e.text("code")).append(": ").append(e.text("message"));
                }
            });
            if (exit != 0) {
                throw new EvaluationException(WorkerProcess.describeExit(exit) + (failure.isEmpty() ? "" : ": " + failure),
                        exit == 2);
            }
            String key = "projects/" + projectId + "/eval/cache/" + hash(cacheKey) + "/" + datasetId + "-v" + version
                    + "/results.jsonl";
            sync.putFile(work.resolve("results.jsonl"), key);
            catalog.cache(cacheKey, datasetId, version, key);
            return parse(Files.readString(work.resolve("results.jsonl")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EvaluationException("interrupted", false);
        }
    }

    /** A failed evaluation; {@code permanent} when retrying cannot help (bad spec or data). */
    public static class EvaluationException extends RuntimeException {
        private final boolean permanent;

        public EvaluationException(String message, boolean permanent) {
            super(message);
            this.permanent = permanent;
        }

        public boolean permanent() {
            return permanent;
        }
    }

    private Path stageBase(String name, String digest) {
        Path dir = Path.of(config.workDir()).toAbsolutePath().resolve("base-models")
                .resolve(name + (digest == null ? "" : "@" + digest.substring(0, 16)));
        synchronized (WorkerEvaluation.class) {
            if (digest == null || !Files.isDirectory(dir)) {
                sync.download(ObjectKeys.baseModel(name), dir);
            }
        }
        return dir;
    }

    private WorkerCommand runtime() {
        return WorkerCommand.djl(Path.of(System.getProperty("java.home")),
                Path.of(config.djlHome().orElse("worker/target")).toAbsolutePath(), config.djlThreads(),
                config.djlMaxHeap());
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
