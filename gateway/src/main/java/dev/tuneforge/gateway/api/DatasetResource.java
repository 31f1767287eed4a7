package dev.tuneforge.gateway.api;

import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.gateway.domain.Caller;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.DatasetUploads;
import dev.tuneforge.gateway.domain.DatasetView;
import dev.tuneforge.gateway.domain.Page;
import dev.tuneforge.gateway.storage.DatasetReadModel;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.io.InputStream;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/** {@code /api/v1/datasets}: raw JSONL upload (the body is the file), the project's datasets. */
@Path("/api/v1/datasets")
@Produces(MediaType.APPLICATION_JSON)
public class DatasetResource {

    private static final Set<String> FORMATS = Set.of("chat", "alpaca", "completion", "preference");

    private final DatasetUploads uploads;
    private final DatasetReadModel readModel;
    private final CurrentCaller caller;

    public DatasetResource(DatasetUploads uploads, DatasetReadModel readModel, CurrentCaller caller) {
        this.uploads = uploads;
        this.readModel = readModel;
        this.caller = caller;
    }

    @POST
    @Consumes({"application/jsonl", "application/x-ndjson", MediaType.APPLICATION_OCTET_STREAM, MediaType.TEXT_PLAIN})
    @Operation(summary = "Upload a JSONL dataset into the caller's project; dataset-service validates it")
    public Response upload(@QueryParam("name") String name, @QueryParam("format") String format, InputStream body) {
        if (name == null || name.isBlank()) {
            return Problem.response(Response.Status.BAD_REQUEST, "missing-parameter", "Missing parameter",
                    "query parameter 'name' is required");
        }
        if (format != null && !FORMATS.contains(format)) {
            return Problem.response(Response.Status.BAD_REQUEST, "invalid-parameter", "Invalid parameter",
                    "query parameter 'format' must be one of " + FORMATS + " or absent, was '" + format + "'");
        }
        Caller who = caller.get();
        DatasetUploaded uploaded = uploads.upload(who.projectId(), who.keyId(), name, format, body);
        return Response.accepted(Map.of("id", uploaded.datasetId(), "name", name, "status", "validating",
                        "sha256", uploaded.sha256(), "size_bytes", uploaded.sizeBytes()))
                .location(URI.create("/api/v1/datasets/" + uploaded.datasetId())).build();
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
    @Operation(summary = "One dataset of the caller's project")
    public DatasetView get(@PathParam("id") String id) {
        return readModel.find(caller.get().projectId(), id)
                .orElseThrow(() -> ApiException.notFound("no dataset '" + id + "'"));
    }
}
