package dev.tuneforge.gateway.openai;

import dev.tuneforge.gateway.domain.Caller;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.openai.FileStore.StoredFile;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

import java.io.InputStream;

/**
 * OpenAI's {@code /v1/files}, for the official SDKs' {@code files.create/list/retrieve/delete/content}: training
 * files for {@code /v1/fine_tuning/jobs}, and the jobs' result files ({@link ResultFiles}).
 */
@Path("/v1/files")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "OpenAI-compatible")
public class FilesResource {

    /** OpenAI's answer to a delete. */
    public record FileDeleted(String id, String object, boolean deleted) {
    }

    private final OpenAiFiles files;
    private final FineTuningJobs jobs;
    private final CurrentCaller caller;

    public FilesResource(OpenAiFiles files, FineTuningJobs jobs, CurrentCaller caller) {
        this.files = files;
        this.jobs = jobs;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Operation(summary = "Upload a file (multipart: 'file' and 'purpose', 'fine-tune' for training data); a chunked"
            + " body without Content-Length is fine, bounded by tuneforge.limits.upload-body")
    public FileObject upload(@RestForm("file") FileUpload file, @RestForm("purpose") String purpose) {
        if (file == null) {
            throw OpenAiErrors.invalid("file", "the multipart part 'file' is required");
        }
        // The Java SDK sends a file given as bytes or a stream without a filename; OpenAI's Python SDK names it so.
        String filename = file.fileName() == null || file.fileName().isBlank() ? "upload" : file.fileName();
        OpenAiFiles.checkUpload(filename, purpose);
        return files.upload(caller.get(), filename, purpose, file.uploadedFile());
    }

    @GET
    @Operation(summary = "The project's files, newest first (order=asc: oldest first); 'after' is a file id")
    public OpenAiList<FileObject> list(@QueryParam("purpose") String purpose, @QueryParam("after") String after,
                                       @QueryParam("limit") Integer limit, @QueryParam("order") String order) {
        return files.list(caller.get(), purpose, after, limit, order);
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One file")
    public FileObject get(@PathParam("id") String id) {
        Caller who = caller.get();
        return jobs.resultFile(who, id).map(FineTuningJobs.ResultFile::file)
                .orElseGet(() -> files.find(who, id).view());
    }

    @GET
    @Path("/{id}/content")
    @Produces(MediaType.WILDCARD) // the SDKs ask for application/binary
    @Operation(summary = "A file's bytes")
    public Response content(@PathParam("id") String id) {
        Caller who = caller.get();
        var result = jobs.resultFile(who, id);
        if (result.isPresent()) {
            return Response.ok(result.get().content(), "text/csv").build();
        }
        StoredFile file = files.find(who, id);
        StreamingOutput body = out -> {
            try (InputStream in = files.content(file)) {
                in.transferTo(out);
            }
        };
        return Response.ok(body, MediaType.APPLICATION_OCTET_STREAM)
                .header("Content-Disposition", "attachment; filename=\"" + file.filename().replace("\"", "") + "\"")
                .build();
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Delete a file (the datasets made of it stay)")
    public FileDeleted delete(@PathParam("id") String id) {
        files.delete(caller.get(), id);
        return new FileDeleted(id, "file", true);
    }
}
