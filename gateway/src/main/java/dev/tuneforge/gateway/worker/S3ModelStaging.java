package dev.tuneforge.gateway.worker;

import dev.tuneforge.gateway.domain.ChatTarget;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * Stages a chat target's files from S3 into a local cache under {@code workDir/cache}: the base model by name and
 * manifest digest, an adapter or full model by its key and digest, each downloaded once with the manifest's digests
 * checked (a directory there is complete: {@link DirectorySync} renames it into place).
 */
final class S3ModelStaging implements ModelStaging {

    private final DirectorySync sync;
    private final Path workDir;
    // Downloads one at a time: two requests for one model must not download it twice into one directory.
    private final Object lock = new Object();

    S3ModelStaging(DirectorySync sync, Path workDir) {
        this.sync = sync;
        this.workDir = workDir;
    }

    @Override
    public Staged stage(ChatTarget target) throws IOException {
        Path base = stageBaseModel(target.baseModel());
        if (target.artifactKey() == null) {
            return new Staged(base, null);
        }
        Path artifact = stage(target.artifactKey(), workDir.resolve("cache/artifacts")
                .resolve(hash(target.artifactKey() + "@" + target.artifactSha256())));
        if (target.artifactDir() != null && Files.isDirectory(artifact.resolve(target.artifactDir()))) {
            artifact = artifact.resolve(target.artifactDir()); // a checkpoint with its weights in a subdirectory
        }
        if (target.fullModel()) {
            withTokenizer(artifact, base);
            return new Staged(artifact, null);
        }
        return new Staged(base, artifact);
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
