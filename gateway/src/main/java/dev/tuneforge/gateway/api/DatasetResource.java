package dev.tuneforge.gateway.api;

import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.gateway.domain.Caller;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.DatasetUploads;
import dev.tuneforge.gateway.domain.DatasetUploads.Upload;
import dev.tuneforge.gateway.domain.DatasetVersionView;
import dev.tuneforge.gateway.domain.DatasetView;
import dev.tuneforge.gateway.domain.ModelRegistry;
import dev.tuneforge.gateway.domain.ModelVersionView;
import dev.tuneforge.gateway.domain.Page;
import dev.tuneforge.gateway.storage.DatasetReadModel;
import dev.tuneforge.kit.naming.Names;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.multipart.FileUpload;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code /api/v1/datasets}: upload JSONL (the raw body is the file, or multipart with {@code file} and
 * an optional {@code validation_file}), add versions, and read datasets, versions and their reports.
 * dataset-service validates every upload; the answer arrives in the read model.
 */
@Path("/api/v1/datasets")
@Produces(MediaType.APPLICATION_JSON)
public class DatasetResource {

    /**
     * What an upload answers (202): the upload is stored and dataset-service is validating it.
     *
     * @param appendTo the version the new one extends, null for a new dataset or {@code mode=replace}
     */
    public record UploadAccepted(String id, String name, String status, String sha256, long sizeBytes,
                                 Integer appendTo) {
    }

    private static final Set<String> FORMATS = Set.of("chat", "alpaca", "completion", "preference");
    private static final Set<String> PURPOSES = Set.of(DatasetUploaded.TRAINING, DatasetUploaded.EVALUATION);

    private final DatasetUploads uploads;
    private final DatasetReadModel readModel;
    private final CurrentCaller caller;
    private final ModelRegistry registry;

    public DatasetResource(DatasetUploads uploads, DatasetReadModel readModel, ModelRegistry registry,
                           CurrentCaller caller) {
        this.registry = registry;
        this.uploads = uploads;
        this.readModel = readModel;
        this.caller = caller;
    }

    @POST
    @Consumes({"application/jsonl", "application/x-ndjson", MediaType.APPLICATION_OCTET_STREAM, MediaType.TEXT_PLAIN})
    @Operation(summary = "Upload a JSONL dataset (the body is the file); dataset-service validates it")
    public RestResponse<UploadAccepted> upload(@QueryParam("name") String name, @QueryParam("format") String format,
                                               @QueryParam("purpose") String purpose,
                                               @QueryParam("base_model") String baseModel,
                                               InputStream body) {
        Caller who = caller.get();
        checkNew(name, format, purpose, baseModel);
        return accepted(uploads.upload(new Upload(who.projectId(), who.keyId(), null, name, format, purpose, baseModel,
                null, body, null)));
    }

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Operation(summary = "Upload a JSONL dataset as multipart: `file`, optionally `validation_file` (used "
            + "instead of a split), `name`, `format`, `purpose`, `base_model`")
    public RestResponse<UploadAccepted> uploadMultipart(@RestForm("file") FileUpload file,
                                                        @RestForm("validation_file") FileUpload validation,
                                                        @RestForm("name") String name,
                                                        @RestForm("format") String format,
                                                        @RestForm("purpose") String purpose,
                                                        @RestForm("base_model") String baseModel) {
        Caller who = caller.get();
        checkNew(name, format, purpose, baseModel);
        return withFiles(file, validation, (body, validationBody) -> accepted(uploads.upload(new Upload(
                who.projectId(), who.keyId(), null, name, format, purpose, baseModel, null, body, validationBody))));
    }

    @POST
    @Path("/{id}/versions")
    @Consumes({"application/jsonl", "application/x-ndjson", MediaType.APPLICATION_OCTET_STREAM, MediaType.TEXT_PLAIN})
    @Operation(summary = "Add a version: append the body to version `append_to` (default: the latest), or with "
            + "`mode=replace` make a version of the body alone; identical content gives the existing version")
    public RestResponse<UploadAccepted> addVersion(@PathParam("id") String id,
                                                   @QueryParam("append_to") Integer appendTo,
                                                   @QueryParam("mode") String mode, InputStream body) {
        Caller who = caller.get();
        DatasetView dataset = find(who, id);
        return accepted(uploads.upload(new Upload(who.projectId(), who.keyId(), id, dataset.name(), dataset.format(),
                dataset.purpose(), null, parentOf(dataset, appendTo, mode), body, null)));
    }

    @POST
    @Path("/{id}/versions")
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Operation(summary = "Add a version as multipart (`file`, optional `validation_file`, `append_to`, `mode`)")
    public RestResponse<UploadAccepted> addVersionMultipart(@PathParam("id") String id,
                                                            @RestForm("file") FileUpload file,
                                                            @RestForm("validation_file") FileUpload validation,
                                                            @RestForm("append_to") Integer appendTo,
                                                            @RestForm("mode") String mode) {
        Caller who = caller.get();
        DatasetView dataset = find(who, id);
        Integer parent = parentOf(dataset, appendTo, mode);
        return withFiles(file, validation, (body, validationBody) -> accepted(uploads.upload(new Upload(
                who.projectId(), who.keyId(), id, dataset.name(), dataset.format(), dataset.purpose(), null, parent,
                body, validationBody))));
    }

    @GET
    @Operation(summary = "The caller's project's datasets, oldest first")
    public Page<DatasetView> list(@QueryParam("limit") Integer limit, @QueryParam("after") String after) {
        int size = Cursor.limit(limit);
        return Page.of(readModel.list(caller.get().projectId(), Cursor.decode(after), size + 1), size,
                dataset -> new Cursor(dataset.createdAt(), dataset.id()).encode());
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One dataset: its latest version and the report of its last upload")
    public DatasetView get(@PathParam("id") String id) {
        return find(caller.get(), id);
    }

    @GET
    @Path("/{id}/versions")
    @Operation(summary = "A dataset's versions, oldest first (`after` is a version number)")
    public Page<DatasetVersionView> versions(@PathParam("id") String id, @QueryParam("limit") Integer limit,
                                             @QueryParam("after") String after) {
        Caller who = caller.get();
        find(who, id);
        int size = Cursor.limit(limit);
        int from;
        try {
            from = after == null ? 0 : Integer.parseInt(after);
        } catch (NumberFormatException e) {
            throw ApiException.invalid("'after' must be a version number, was '" + after + "'");
        }
        return Page.of(readModel.versions(who.projectId(), id, from, size + 1), size,
                version -> Integer.toString(version.version()));
    }

    @GET
    @Path("/{id}/versions/{version}")
    @Operation(summary = "One version: files with their sha256, counts, token statistics, validation report")
    public DatasetVersionView version(@PathParam("id") String id, @PathParam("version") int version) {
        return readModel.version(caller.get().projectId(), id, version)
                .orElseThrow(() -> ApiException.notFound("dataset '" + id + "' has no version " + version));
    }

    @GET
    @Path("/{id}/versions/{version}/models")
    @Operation(summary = "Every model version trained on this dataset version (downstream lineage)")
    public Page<ModelVersionView> models(@PathParam("id") String id, @PathParam("version") int version) {
        return new Page<>(registry.trainedOn(caller.get().projectId(), id, version), false, null);
    }

    private DatasetView find(Caller who, String id) {
        return readModel.find(who.projectId(), id).orElseThrow(() -> ApiException.notFound("no dataset '" + id + "'"));
    }

    /**
     * The parameters of a new dataset, before a byte of it is stored: the name is a label (shown, never part of a
     * key), the base model whose tokenizer counts its tokens a name ({@link Names}): dataset-service looks it up
     * in S3, where a malformed one would fail the upload's validation for good.
     */
    private static void checkNew(String name, String format, String purpose, String baseModel) {
        if (name == null || name.isBlank()) {
            throw ApiException.missing("'name' is required");
        }
        if (format != null && !FORMATS.contains(format)) {
            throw ApiException.invalid("'format' must be one of " + FORMATS + " or absent, was '" + format + "'");
        }
        if (purpose != null && !PURPOSES.contains(purpose)) {
            throw ApiException.invalid("'purpose' must be one of " + PURPOSES + " or absent, was '" + purpose + "'");
        }
        List<String> errors = new ArrayList<>();
        Names.labelProblem("name", name).ifPresent(errors::add);
        if (baseModel != null) {
            Names.nameProblem("base_model", baseModel).ifPresent(errors::add);
        }
        if (!errors.isEmpty()) {
            throw ApiException.unprocessable("invalid-upload", "Invalid upload", errors);
        }
    }

    /** The parent of a new version: none with mode=replace, else the one asked for, else the latest. */
    private static Integer parentOf(DatasetView dataset, Integer appendTo, String mode) {
        if (mode != null && !mode.equals("append") && !mode.equals("replace")) {
            throw ApiException.invalid("'mode' must be append or replace, was '" + mode + "'");
        }
        if ("replace".equals(mode)) {
            return null;
        }
        if (appendTo != null) {
            return appendTo;
        }
        if (dataset.version() == null) {
            throw ApiException.conflict("dataset '" + dataset.id() + "' has no accepted version to append to yet");
        }
        return dataset.version();
    }

    private interface FileBodies {
        RestResponse<UploadAccepted> accept(InputStream body, InputStream validation) throws IOException;
    }

    private static RestResponse<UploadAccepted> withFiles(FileUpload file, FileUpload validation, FileBodies action) {
        if (file == null) {
            throw ApiException.missing("multipart part 'file' is required");
        }
        try (InputStream body = Files.newInputStream(file.uploadedFile());
             InputStream validationBody = validation == null ? null : Files.newInputStream(validation.uploadedFile())) {
            return action.accept(body, validationBody);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the uploaded parts", e);
        }
    }

    private static RestResponse<UploadAccepted> accepted(DatasetUploaded uploaded) {
        UploadAccepted body = new UploadAccepted(uploaded.datasetId(), uploaded.name(), "validating", uploaded.sha256(),
                uploaded.sizeBytes(), uploaded.appendTo());
        return RestResponse.ResponseBuilder.accepted(body)
                .location(URI.create("/api/v1/datasets/" + uploaded.datasetId())).build();
    }
}
