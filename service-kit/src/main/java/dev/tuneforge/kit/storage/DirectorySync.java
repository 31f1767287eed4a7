package dev.tuneforge.kit.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.events.EventCodec;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Copies directories between the local disk and S3: worker inputs down, checkpoints and outputs up.
 * An uploaded directory ends with {@code manifest.json} (each file's path, size and sha256, and the
 * directory's digest: sha256 of the sorted {@code "path sha256"} lines), written last, so a directory with a
 * manifest is complete; the digest is what events carry.
 */
@ApplicationScoped
public class DirectorySync {

    private final ObjectStore store;

    public DirectorySync(ObjectStore store) {
        this.store = store;
    }

    /** A file of a directory as the manifest lists it. */
    public record Entry(String path, long size, String sha256) { }

    /** Uploads every file under {@code dir} to {@code prefix}; returns the directory's digest. */
    public String upload(Path dir, String prefix) {
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> files = walk.filter(Files::isRegularFile).sorted().toList();
            List<Entry> entries = new ArrayList<>();
            for (Path file : files) {
                String rel = dir.relativize(file).toString().replace('\\', '/');
                if (rel.equals(ObjectKeys.MANIFEST)) {
                    continue;
                }
                String sha;
                try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha256())) {
                    store.put(prefix + rel, in, Files.size(file), "application/octet-stream");
                    sha = HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
                }
                entries.add(new Entry(rel, Files.size(file), sha));
            }
            String digest = digest(entries);
            store.put(prefix + ObjectKeys.MANIFEST, manifest(entries, digest), "application/json");
            return digest;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot upload " + dir + " to " + prefix, e);
        }
    }

    /**
     * Downloads the directory at {@code prefix} into {@code dir} (created, replaced if it exists) and checks
     * every file against the manifest; without a manifest, every object under the prefix is copied.
     * Returns the directory's digest (null without a manifest).
     */
    public String download(String prefix, Path dir) {
        try {
            Path tmp = dir.resolveSibling(dir.getFileName() + ".partial");
            deleteTree(tmp);
            Files.createDirectories(tmp);
            String digest = null;
            if (store.exists(prefix + ObjectKeys.MANIFEST)) {
                JsonNode manifest;
                try (InputStream in = store.get(prefix + ObjectKeys.MANIFEST)) {
                    manifest = EventCodec.mapper().readTree(in);
                }
                for (JsonNode f : manifest.get("files")) {
                    String rel = f.get("path").asText();
                    String sha = copy(prefix + rel, safe(tmp, rel));
                    if (!sha.equals(f.get("sha256").asText())) {
                        throw new IllegalStateException("s3 object " + prefix + rel + " has sha256 " + sha
                                + ", its manifest says " + f.get("sha256").asText());
                    }
                }
                digest = manifest.path("sha256").asText(null);
            } else {
                for (String key : store.list(prefix)) {
                    copy(key, safe(tmp, key.substring(prefix.length())));
                }
            }
            deleteTree(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            return digest;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot download " + prefix + " to " + dir, e);
        }
    }

    /** The digest recorded in the manifest at {@code prefix}, or null when there is none. */
    public String digestOf(String prefix) {
        if (!store.exists(prefix + ObjectKeys.MANIFEST)) {
            return null;
        }
        try (InputStream in = store.get(prefix + ObjectKeys.MANIFEST)) {
            return EventCodec.mapper().readTree(in).path("sha256").asText(null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The digest at {@code prefix} once its manifest is there — written by someone else, e.g. a Kubernetes worker
     * pod's sync sidecar — looking every {@code poll}; null if it has not come after {@code wait}.
     */
    public String awaitDigest(String prefix, java.time.Duration wait, java.time.Duration poll)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            String digest = digestOf(prefix);
            if (digest != null || System.nanoTime() >= deadline) {
                return digest;
            }
            Thread.sleep(poll.toMillis());
        }
    }

    /** Downloads one object to a file (replacing it). */
    public void getFile(String key, Path target) throws IOException {
        copy(key, target);
    }

    /** Uploads one file. */
    public void putFile(Path file, String key) {
        try (InputStream in = Files.newInputStream(file)) {
            store.put(key, in, Files.size(file), "application/json");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot upload " + file, e);
        }
    }

    private String copy(String key, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try (InputStream in = new DigestInputStream(store.get(key), sha256())) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        }
    }

    private static Path safe(Path root, String rel) {
        Path p = root.resolve(rel).normalize();
        if (!p.startsWith(root) || rel.isEmpty()) {
            throw new IllegalStateException("refusing object path '" + rel + "' outside its directory");
        }
        return p;
    }

    static String digest(List<Entry> entries) {
        MessageDigest md = sha256();
        entries.stream().sorted(java.util.Comparator.comparing(Entry::path))
                .forEach(e -> md.update((e.path() + " " + e.sha256() + "\n").getBytes(StandardCharsets.UTF_8)));
        return HexFormat.of().formatHex(md.digest());
    }

    private static byte[] manifest(List<Entry> entries, String digest) {
        ObjectNode root = EventCodec.mapper().createObjectNode();
        ArrayNode files = root.putArray("files");
        for (Entry e : entries) {
            files.addObject().put("path", e.path()).put("size", e.size()).put("sha256", e.sha256());
        }
        root.put("sha256", digest);
        try {
            return EventCodec.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
