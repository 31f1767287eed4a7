package dev.tuneforge.dataset.domain;

import dev.tuneforge.dataset.storage.DatasetVersions;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Turns an upload into a dataset version: scans it, records the version and emits
 * {@link DatasetReady} or {@link DatasetRejected} in the same transaction.
 */
@ApplicationScoped
public class UploadIngestor {

    private final ObjectStore objects;
    private final DatasetVersions versions;
    private final Outbox outbox;

    public UploadIngestor(ObjectStore objects, DatasetVersions versions, Outbox outbox) {
        this.objects = objects;
        this.versions = versions;
        this.outbox = outbox;
    }

    public void ingest(DatasetUploaded upload) {
        LineCheck check;
        try (InputStream content = objects.get(upload.objectKey())) {
            check = JsonlScanner.scan(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int version = versions.nextVersion(upload.datasetId());
        if (check.accepted()) {
            versions.recordReady(upload, version, check);
            outbox.publish(new DatasetReady(upload.projectId(), upload.datasetId(), version, null, upload.format(),
                    check.sha256(), upload.objectKey(), check.sha256(), check.examples(), null, null, 0,
                    check.examples(), null, null));
        } else {
            versions.recordRejected(upload, version, check);
            outbox.publish(new DatasetRejected(upload.projectId(), upload.datasetId(), check.reason(),
                    check.badLineCount(), null));
        }
    }
}
