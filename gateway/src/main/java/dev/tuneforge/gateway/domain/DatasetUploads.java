package dev.tuneforge.gateway.domain;

import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.gateway.storage.DatasetReadModel;
import dev.tuneforge.gateway.storage.ReadModelTables;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Accepts an upload: spools it to a temporary file (size and sha256 must be known before S3 gets it),
 * stores it under the project's upload prefix, then records the dataset and emits
 * {@link DatasetUploaded} in one transaction. dataset-service validates it from there.
 * The dataset row is written at once (the uploader can read it back), with the event's own time, so
 * the projection of the event when it comes back from the topic finds it identical.
 */
@ApplicationScoped
public class DatasetUploads {

    private final ObjectStore objects;
    private final DatasetReadModel readModel;
    private final Outbox outbox;

    public DatasetUploads(ObjectStore objects, DatasetReadModel readModel, Outbox outbox) {
        this.objects = objects;
        this.readModel = readModel;
        this.outbox = outbox;
    }

    /**
     * What was uploaded and how it relates to the dataset.
     *
     * @param datasetId  the dataset a new version is for, or null for a new dataset
     * @param appendTo   the version the upload is appended to, or null for a version of its own content
     * @param validation the user's own validation file, or null to split the upload
     */
    public record Upload(String projectId, String keyId, String datasetId, String name, String format,
                         String purpose, String baseModel, Integer appendTo, InputStream body, InputStream validation) {
    }

    public DatasetUploaded upload(Upload upload) {
        String datasetId = upload.datasetId() != null ? upload.datasetId()
                : "ds_" + UUID.randomUUID().toString().replace("-", "");
        String prefix = "projects/" + upload.projectId() + "/uploads/" + datasetId + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        Stored file = store(prefix + ".jsonl", upload.body());
        Stored validation = upload.validation() == null ? null
                : store(prefix + "-validation.jsonl", upload.validation());
        DatasetUploaded event = new DatasetUploaded(upload.projectId(), datasetId, upload.name(), upload.format(),
                file.key(), file.sha256(), file.size(), upload.appendTo(), upload.baseModel(), upload.keyId(),
                upload.purpose(), validation == null ? null : validation.key());
        record(event);
        return event;
    }

    private record Stored(String key, String sha256, long size) {
    }

    private Stored store(String key, InputStream body) {
        Path spool = null;
        try {
            spool = Files.createTempFile("tuneforge-upload-", ".jsonl");
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            long size;
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(spool), sha256)) {
                size = body.transferTo(out);
            }
            try (InputStream in = Files.newInputStream(spool)) {
                objects.put(key, in, size, "application/jsonl");
            }
            return new Stored(key, HexFormat.of().formatHex(sha256.digest()), size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the upload", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            deleteQuietly(spool);
        }
    }

    @Transactional
    void record(DatasetUploaded event) {
        EventEnvelope envelope = outbox.publish(event);
        readModel.uploaded(ReadModelTables.LIVE, event, envelope.time());
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temp file; the OS cleans it eventually
            }
        }
    }
}
