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
    public Accepted post(@PathParam("name") String name, JsonNode body) {
        ObservationIntake.Received received = intake.receive(caller.get(), name, body);
        return new Accepted(received.accepted(), received.duplicates(), received.batches().stream()
                .map(ObservationResource::batch).toList());
    }

    private static Batch batch(ObservationsReceived event) {
        return new Batch(event.modelVersion(), event.objectKey(), event.count());
    }
}
