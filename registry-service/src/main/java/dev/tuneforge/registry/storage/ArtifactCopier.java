package dev.tuneforge.registry.storage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.kit.storage.ObjectStoreException;
import dev.tuneforge.kit.storage.S3Config;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.MinioClient;
import io.minio.StatObjectArgs;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * Copies a job's output directory (files + {@code manifest.json}, as {@code DirectorySync} wrote it) to a model
 * version's prefix with server-side copies: no byte passes through the service. Before copying, the manifest's
 * digest must be the one the event carried and must match its own file list; each copy must have the size the
 * manifest lists; the manifest is copied last, so a version's directory with a manifest is complete.
 */
@ApplicationScoped
public class ArtifactCopier {

    /** The source is not what the event announced; retrying cannot fix it. */
    public static class DigestMismatchException extends IllegalStateException {
        public DigestMismatchException(String message) {
            super(message);
        }
    }

    private record File(String path, long size, String sha256) {
    }

    private final ObjectStore store;
    private final MinioClient client;
    private final String bucket;

    public ArtifactCopier(ObjectStore store, S3Config config) {
        this.store = store;
        this.bucket = config.bucket();
        this.client = MinioClient.builder().endpoint(config.endpoint())
                .credentials(config.accessKey(), config.secretKey()).region(config.region()).build();
    }

    /** Copies {@code source} to {@code target} (both prefixes ending in '/'); returns the directory digest. */
    public String copy(String source, String target, String expectedSha256) {
        JsonNode manifest = manifest(source);
        List<File> files = new ArrayList<>();
        for (JsonNode f : manifest.path("files")) {
            String path = f.path("path").asText("");
            if (path.isEmpty() || path.startsWith("/") || path.contains("..")) {
                throw new DigestMismatchException("manifest at " + source + " lists an unsafe path '" + path + "'");
            }
            files.add(new File(path, f.path("size").asLong(-1), f.path("sha256").asText("")));
        }
        String recorded = manifest.path("sha256").asText(null);
        String computed = digest(files);
        if (!computed.equals(recorded)) {
            throw new DigestMismatchException("manifest at " + source + " says sha256 " + recorded
                    + " but its files digest to " + computed);
        }
        if (expectedSha256 != null && !expectedSha256.equals(recorded)) {
            throw new DigestMismatchException("artifact at " + source + " has sha256 " + recorded
                    + ", the event announced " + expectedSha256);
        }
        for (File f : files) {
            copyObject(source + f.path(), target + f.path());
            long size = size(target + f.path());
            if (f.size() >= 0 && size != f.size()) {
                throw new IllegalStateException("copy of " + source + f.path() + " has " + size + " bytes, the manifest "
                        + "lists " + f.size());
            }
        }
        copyObject(source + ObjectKeys.MANIFEST, target + ObjectKeys.MANIFEST);
        return recorded;
    }

    private JsonNode manifest(String prefix) {
        if (!store.exists(prefix + ObjectKeys.MANIFEST)) {
            throw new IllegalStateException("no " + ObjectKeys.MANIFEST + " under " + prefix
                    + ": the job's output is missing or incomplete");
        }
        try (InputStream in = store.get(prefix + ObjectKeys.MANIFEST)) {
            return EventCodec.mapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifest under " + prefix, e);
        }
    }

    private void copyObject(String from, String to) {
        try {
            client.copyObject(CopyObjectArgs.builder().bucket(bucket).object(to)
                    .source(CopySource.builder().bucket(bucket).object(from).build()).build());
        } catch (Exception e) {
            throw new ObjectStoreException("cannot copy s3://" + bucket + "/" + from + " to " + to, e);
        }
    }

    private long size(String key) {
        try {
            return client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build()).size();
        } catch (Exception e) {
            throw new ObjectStoreException("cannot stat s3://" + bucket + "/" + key, e);
        }
    }

    /** As {@code DirectorySync}: sha256 of the lines {@code "path sha256\n"} sorted by path. */
    static String digest(List<File> files) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            files.stream().sorted(Comparator.comparing(File::path))
                    .forEach(f -> md.update((f.path() + " " + f.sha256() + "\n").getBytes(StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
