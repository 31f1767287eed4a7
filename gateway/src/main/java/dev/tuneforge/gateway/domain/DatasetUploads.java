package dev.tuneforge.gateway.domain;

import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.gateway.storage.DatasetReadModel;
import dev.tuneforge.gateway.storage.ReadModelTables;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.io.InputStream;
import java.util.UUID;

/**
 * Accepts an upload: stores it under the project's upload prefix ({@link StoredUpload}), then records the dataset and emits
 * {@link DatasetUploaded} in one transaction. dataset-service validates it from there.
 * The dataset row is written at once (the uploader can read it back), with the event's own time, so
 * the projection of the event when it comes back from the topic finds it identical.
 */
@ApplicationScoped
public class DatasetUploads {

    static final String JSONL = "application/jsonl";

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
        StoredUpload file = StoredUpload.store(objects, prefix + ".jsonl", upload.body(), JSONL);
        StoredUpload validation = upload.validation() == null ? null
                : StoredUpload.store(objects, prefix + "-validation.jsonl", upload.validation(), JSONL);
        DatasetUploaded event = new DatasetUploaded(upload.projectId(), datasetId, upload.name(), upload.format(),
                file.key(), file.sha256(), file.size(), upload.appendTo(), upload.baseModel(), upload.keyId(),
                upload.purpose(), validation == null ? null : validation.key());
        record(event);
        return event;
    }

    /**
     * The upload of a dataset made of files already stored (OpenAI-style files a job trains on), not recorded yet:
     * each is copied under the upload prefix first, because dataset-service deletes an upload once it has ingested
     * it, and the file stays. Record it with {@link #record} in the transaction that needs it.
     */
    public DatasetUploaded copyOf(String projectId, String keyId, String name, StoredUpload training,
                                  StoredUpload validation) {
        String datasetId = "ds_" + UUID.randomUUID().toString().replace("-", "");
        String prefix = "projects/" + projectId + "/uploads/" + datasetId + "-" + UUID.randomUUID().toString().substring(0, 8);
        objects.copy(training.key(), prefix + ".jsonl");
        if (validation != null) {
            objects.copy(validation.key(), prefix + "-validation.jsonl");
        }
        return new DatasetUploaded(projectId, datasetId, name, null, prefix + ".jsonl", training.sha256(),
                training.size(), null, null, keyId, DatasetUploaded.TRAINING,
                validation == null ? null : prefix + "-validation.jsonl");
    }

    /** Records the dataset and emits the event, in the caller's transaction or a new one. */
    @Transactional
    public void record(DatasetUploaded event) {
        EventEnvelope envelope = outbox.publish(event);
        readModel.uploaded(ReadModelTables.LIVE, event, envelope.time());
    }
}
