package dev.tuneforge.gateway.api;

import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.DriftHistory;
import dev.tuneforge.gateway.domain.DriftMonitoring;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.io.InputStream;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * {@code /api/v1/models/{name}/drift}: what eval-service measured on a model's served traffic, window by window
 * (DriftMeasured, DriftDetected), from the read model; one window's report (reference vs current distributions)
 * streamed from S3.
 */
@Path("/api/v1/models/{name}/drift")
@Produces(MediaType.APPLICATION_JSON)
public class DriftResource {

    private final DriftMonitoring drift;
    private final CurrentCaller caller;

    public DriftResource(DriftMonitoring drift, CurrentCaller caller) {
        this.drift = drift;
        this.caller = caller;
    }

    @GET
    @Operation(summary = "A model's drift per version: its latest windows (at most 'limit' per version, default "
            + DriftHistory.DEFAULT_LIMIT + ", at most " + DriftHistory.MAX_LIMIT + ") oldest first, each metric's"
            + " score, threshold and whether it crossed, and the windows that opened a drift episode; 'version' keeps"
            + " one version, 'since' (ISO-8601 with offset) the windows ending at or after it")
    public DriftHistory history(@PathParam("name") String name, @QueryParam("version") String version,
                                @QueryParam("since") String since, @QueryParam("limit") String limit) {
        return drift.history(caller.get().projectId(), name, version(version), since(since), limit(limit));
    }

    @GET
    @Path("/{windowId}/report")
    @Blocking
    @APIResponse(responseCode = "200", description = "The window's report as eval-service wrote it",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT)))
    @Operation(summary = "One window's report: its metrics and, where measured, the reference (training data) and"
            + " current distributions, e.g. {\"distributions\": {\"prompt_length\": {\"edges\": [...], \"reference\":"
            + " [...], \"current\": [...]}}}; 404 when the window has none")
    public Response report(@PathParam("name") String name, @PathParam("windowId") String windowId) {
        InputStream report = drift.report(caller.get().projectId(), name, windowId);
        StreamingOutput body = out -> {
            try (report) {
                report.transferTo(out);
            }
        };
        return Response.ok(body, MediaType.APPLICATION_JSON).build();
    }

    private static Integer version(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            int version = Integer.parseInt(value.strip());
            if (version >= 1) {
                return version;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.invalid("query parameter 'version' must be a version number (1 or more), was '" + value + "'");
    }

    private static OffsetDateTime since(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value.strip());
        } catch (DateTimeParseException e) {
            throw ApiException.invalid("query parameter 'since' must be a time in ISO-8601 with an offset"
                    + " (2026-01-31T12:00:00Z), was '" + value + "'");
        }
    }

    private static int limit(String value) {
        if (value == null || value.isBlank()) {
            return DriftHistory.DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(value.strip());
            if (limit >= 1 && limit <= DriftHistory.MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.invalid("query parameter 'limit' must be between 1 and " + DriftHistory.MAX_LIMIT
                + ", was '" + value + "'");
    }
}
