package dev.tuneforge.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.ObservationsReceived;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.ObservationIntake;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;

import java.util.List;

/**
 * {@code POST /api/v1/models/{name}/observations}: served prompts and completions from servers elsewhere, for drift
 * monitoring (the gateway records the chats it serves itself). See {@link ObservationIntake} for what is stored and
 * guaranteed, {@code domain.ObservationBatchReader} for the body.
 */
@Path("/api/v1/models/{name}/observations")
@Produces(MediaType.APPLICATION_JSON)
public class ObservationResource {

    /**
     * What a batch came to: {@code accepted} observations stored, {@code duplicates} already received (by id) and not
     * stored again, and the objects the accepted ones were written to (one per model version).
     */
    public record Accepted(int accepted, int duplicates, List<Batch> batches) {
    }

    /** One stored batch: the model version, the S3 key of its JSONL, how many observations it holds. */
    public record Batch(Integer version, String objectKey, long count) {
    }

    /** The body, for the OpenAPI document: read as JSON and checked by {@code ObservationBatchReader}. */
    public record NewObservations(List<NewObservation> observations) {
    }

    /** One observation as a client sends it; {@code time} (ISO-8601 with offset) and the counts may be absent. */
    public record NewObservation(String id, int version, List<NewMessage> messages, String completion, String time,
                                 Long latencyMs, Integer promptTokens, Integer completionTokens) {
    }

    /** A message: role system, developer, user, assistant or tool; its content as text. */
    public record NewMessage(String role, String content) {
    }

    private final ObservationIntake intake;
    private final CurrentCaller caller;

    public ObservationResource(ObservationIntake intake, CurrentCaller caller) {
        this.intake = intake;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    @Operation(summary = "Record served chats of a model: {\"observations\": [{id, version, messages, completion, time,"
            + " latency_ms, prompt_tokens, completion_tokens}]}, at most tuneforge.observations.max-batch (1000) at"
            + " once; every problem is listed in one 422 and nothing is stored; an id received before (per model) is"
            + " counted as a duplicate and not stored again")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = NewObservations.class)))
    public Accepted post(@PathParam("name") String name, JsonNode body) {
        ObservationIntake.Received received = intake.receive(caller.get(), name, body);
        return new Accepted(received.accepted(), received.duplicates(), received.batches().stream()
                .map(ObservationResource::batch).toList());
    }

    private static Batch batch(ObservationsReceived event) {
        return new Batch(event.modelVersion(), event.objectKey(), event.count());
    }
}
