package dev.tuneforge.gateway.api;

import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.gateway.domain.DatasetUploads;
import dev.tuneforge.gateway.domain.Tenancy;
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

import java.io.InputStream;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/** {@code /api/v1/datasets}: raw JSONL upload (the body is the file) and the dataset's status. */
@Path("/api/v1/datasets")
@Produces(MediaType.APPLICATION_JSON)
public class DatasetResource {

    private static final Set<String> FORMATS = Set.of("chat", "alpaca", "completion", "preference");

    private final DatasetUploads uploads;
    private final DatasetReadModel readModel;

    public DatasetResource(DatasetUploads uploads, DatasetReadModel readModel) {
        this.uploads = uploads;
        this.readModel = readModel;
    }

    @POST
    @Consumes({"application/jsonl", "application/x-ndjson", MediaType.APPLICATION_OCTET_STREAM, MediaType.TEXT_PLAIN})
    public Response upload(@QueryParam("name") String name, @QueryParam("format") String format, InputStream body) {
        if (name == null || name.isBlank()) {
            return Problem.response(Response.Status.BAD_REQUEST, "missing-parameter", "Missing parameter",
                    "query parameter 'name' is required");
        }
        if (format != null && !FORMATS.contains(format)) {
            return Problem.response(Response.Status.BAD_REQUEST, "invalid-parameter", "Invalid parameter",
                    "query parameter 'format' must be one of " + FORMATS + " or absent, was '" + format + "'");
        }
        DatasetUploaded uploaded = uploads.upload(Tenancy.DEFAULT_PROJECT, name, format, body);
        return Response.accepted(Map.of("id", uploaded.datasetId(), "name", name, "status", "validating",
                        "sha256", uploaded.sha256(), "size_bytes", uploaded.sizeBytes()))
                .location(URI.create("/api/v1/datasets/" + uploaded.datasetId())).build();
    }

    @GET
    @Path("/{id}")
    public Response get(@PathParam("id") String id) {
        return readModel.find(Tenancy.DEFAULT_PROJECT, id)
                .map(view -> Response.ok(view).build())
                .orElseGet(() -> Problem.response(Response.Status.NOT_FOUND, "not-found", "Not found",
                        "no dataset '" + id + "'"));
    }
}
