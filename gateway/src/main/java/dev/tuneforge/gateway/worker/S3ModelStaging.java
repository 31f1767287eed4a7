package dev.tuneforge.gateway.worker;

import dev.tuneforge.gateway.domain.ChatTarget;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.kit.storage.ObjectKeys;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Stages a chat target's files from S3 into a local cache under {@code workDir/cache}: the base model by name and
 * manifest digest, an adapter or full model by its key and digest, each downloaded once with the manifest's digests
 * checked (a directory there is complete: {@link DirectorySync} renames it into place); and publishes an adapter to
 * S3 for a remote server.
 */
final class S3ModelStaging implements ModelStaging {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A PEFT adapter's files, as the worker reads them. */
    private static final String ADAPTER_CONFIG = "adapter_config.json";
    private static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";

    private final DirectorySync sync;
    private final ObjectStore store;
    private final Path workDir;
    /** The prefixes published (or found complete) since start: asked of S3 once each. */
    private final Set<String> published = ConcurrentHashMap.newKeySet();
    // Downloads one at a time: two requests for one model must not download it twice into one directory.
    private final Object lock = new Object();

    S3ModelStaging(DirectorySync sync, ObjectStore store, Path workDir) {
        this.sync = sync;
        this.store = store;
        this.workDir = workDir;
    }

    @Override
    public Path model(ChatTarget target) throws IOException {
        Path base = stageBaseModel(target.baseModel());
        if (!target.fullModel()) {
            return base;
        }
        Path model = stageArtifact(target);
        withTokenizer(model, base);
        return model;
    }

    @Override
    public Path adapter(ChatTarget target) throws IOException {
        return stageArtifact(target);
    }

    /**
     * Server-side copies of the adapter's two files (no bytes pass through the gateway), from the artifact's root or
     * its {@code artifactDir}, then a manifest listing them (with the sizes and digests of the artifact's manifest),
     * written last.
     */
    @Override
    public void publish(ChatTarget target, String prefix) throws IOException {
        if (published.contains(prefix)) {
            return;
        }
        if (!store.exists(prefix + ObjectKeys.MANIFEST)) {
            String dir = target.artifactDir() != null
                    && store.exists(target.artifactKey() + target.artifactDir() + "/" + ADAPTER_CONFIG)
                    ? target.artifactDir() + "/" : "";
            Map<String, JsonNode> listed = new HashMap<>();
            if (store.exists(target.artifactKey() + ObjectKeys.MANIFEST)) {
                try (InputStream in = store.get(target.artifactKey() + ObjectKeys.MANIFEST)) {
                    JSON.readTree(in).path("files").forEach(f -> listed.put(f.path("path").asText(), f));
                }
            }
            ObjectNode manifest = JSON.createObjectNode();
            ArrayNode files = manifest.putArray("files");
            for (String file : List.of(ADAPTER_CONFIG, ADAPTER_WEIGHTS)) {
                String source = target.artifactKey() + dir + file;
                if (!store.exists(source)) {
                    throw new IOException("the adapter of " + target.resolved() + " has no " + source);
                }
                store.copy(source, prefix + file);
                JsonNode entry = listed.get(dir + file);
                ObjectNode copied = files.addObject().put("path", file);
                if (entry != null) {
                    copied.set("size", entry.get("size"));
                    copied.set("sha256", entry.get("sha256"));
                }
            }
            store.put(prefix + ObjectKeys.MANIFEST, JSON.writeValueAsBytes(manifest), "application/json");
        }
        published.add(prefix);
    }

    private Path stageArtifact(ChatTarget target) {
        Path artifact = stage(target.artifactKey(), workDir.resolve("cache/artifacts")
                .resolve(hash(target.artifactKey() + "@" + target.artifactSha256())));
        if (target.artifactDir() != null && Files.isDirectory(artifact.resolve(target.artifactDir()))) {
            artifact = artifact.resolve(target.artifactDir()); // a checkpoint with its weights in a subdirectory
        }
        return artifact;
    }

    private Path stageBaseModel(String name) throws IOException {
        String prefix = ObjectKeys.baseModel(name);
        String digest = sync.digestOf(prefix);
        if (digest == null) {
            throw new IOException("base model '" + name + "' is not in the catalogue");
        }
        return stage(prefix, workDir.resolve("cache/base-models").resolve(name + "@" + digest.substring(0, 16)));
    }

    /** Downloads (with the manifest's digests checked) unless a complete copy is there already. */
    private Path stage(String prefix, Path dir) {
        synchronized (lock) {
            if (!Files.isDirectory(dir)) {
                sync.download(prefix, dir);
            }
            return dir;
        }
    }

    /** A full model written by training may lack the tokenizer; the base model's is the same. */
    private static void withTokenizer(Path model, Path base) throws IOException {
        try (Stream<Path> files = Files.list(base)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if ((name.startsWith("tokenizer") || name.startsWith("chat_template")
                        || name.equals("special_tokens_map.json")) && !Files.exists(model.resolve(name))) {
                    Files.copy(file, model.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
