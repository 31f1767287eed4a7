package dev.tuneforge.gateway.openai;

import dev.tuneforge.gateway.domain.Caller;
import dev.tuneforge.gateway.domain.StoredUpload;
import dev.tuneforge.gateway.openai.FileStore.StoredFile;
import dev.tuneforge.kit.naming.Names;
import dev.tuneforge.kit.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * OpenAI-style files: stored whole in S3 under {@code projects/{project}/files/{id}}, one row each, scoped to the
 * caller's project like everything else (another project's file is "not found"). A file is only bytes until a job
 * trains on it: then {@link FineTuningJobs} makes a dataset of it, and dataset-service validates it.
 */
@ApplicationScoped
public class OpenAiFiles {

    /** OpenAI's purposes; only {@code fine-tune} files can be trained on. */
    static final Set<String> PURPOSES = Set.of("fine-tune", "assistants", "batch", "vision", "user_data", "evals");
    static final String FINE_TUNE = "fine-tune";

    private final FileStore files;
    private final ObjectStore objects;

    public OpenAiFiles(FileStore files, ObjectStore objects) {
        this.files = files;
        this.objects = objects;
    }

    /** Checks the form's fields before a byte of the file is stored. */
    static void checkUpload(String filename, String purpose) {
        if (purpose == null || purpose.isBlank()) {
            throw OpenAiErrors.invalid("purpose", "'purpose' is required; use 'fine-tune' for training files");
        }
        if (!PURPOSES.contains(purpose)) {
            throw OpenAiErrors.invalid("purpose", "'purpose' must be one of " + PURPOSES.stream().sorted().toList()
                    + ", was '" + purpose + "'");
        }
        if (filename == null || filename.isBlank()) {
            throw OpenAiErrors.invalid("file", "the multipart part 'file' needs a filename");
        }
        Names.labelProblem("file", filename).ifPresent(problem -> {
            throw OpenAiErrors.invalid("file", problem);
        });
    }

    /** @param body the file as Quarkus wrote the multipart part to disk */
    public FileObject upload(Caller caller, String filename, String purpose, Path body) {
        checkUpload(filename, purpose);
        String id = "file-" + UUID.randomUUID().toString().replace("-", "");
        StoredUpload stored = StoredUpload.storeFile(objects, "projects/" + caller.projectId() + "/files/" + id, body,
                "application/octet-stream");
        StoredFile file = new StoredFile(id, caller.projectId(), filename, purpose, stored.size(), stored.sha256(),
                stored.key(), OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS));
        files.insert(file);
        return file.view();
    }

    public StoredFile find(Caller caller, String fileId) {
        return files.find(caller.projectId(), fileId)
                .orElseThrow(() -> OpenAiErrors.notFound("file_id", "No such File object: " + fileId));
    }

    public OpenAiList<FileObject> list(Caller caller, String purpose, String after, Integer limit, String order) {
        if (order != null && !order.equals("asc") && !order.equals("desc")) {
            throw OpenAiErrors.invalid("order", "'order' must be asc or desc, was '" + order + "'");
        }
        int size = OpenAiList.limit(limit, 10_000, 10_000);
        StoredFile from = after == null || after.isBlank() ? null : files.find(caller.projectId(), after)
                .orElseThrow(() -> OpenAiErrors.invalid("after", "'after' names no file of this project: " + after));
        List<FileObject> rows = files.list(caller.projectId(), purpose, from, !"asc".equals(order), size + 1).stream()
                .map(StoredFile::view).toList();
        return OpenAiList.of(rows, size, FileObject::id);
    }

    public InputStream content(StoredFile file) {
        return objects.get(file.objectKey());
    }

    /** The row first, the object after it, so a failed delete leaves the file whole. */
    public void delete(Caller caller, String fileId) {
        StoredFile file = find(caller, fileId);
        files.delete(caller.projectId(), fileId);
        objects.delete(file.objectKey());
    }
}
