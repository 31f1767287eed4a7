package dev.tuneforge.gateway.api;

import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.Page;
import dev.tuneforge.kit.messaging.dlq.DeadLetter;
import dev.tuneforge.kit.messaging.dlq.DeadLetterException;
import dev.tuneforge.kit.messaging.dlq.DeadLetters;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * {@code /api/v1/admin/dead-letters}: what the services' consumers dead-lettered (every consumer of a topic writes
 * to its {@code <topic>.dlq}, naming itself in the record's headers), and replaying it to the topic it came from so
 * the consumer that failed processes it again (service-kit's {@link DeadLetters}). Platform admin only: a dead
 * letter may belong to any project.
 */
@Path("/api/v1/admin/dead-letters")
@SecurityRequirement(name = GatewayApi.API_KEY, scopes = GatewayApi.PLATFORM_ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class DeadLetterResource {

    /**
     * What to replay: one dead letter ({@code id}), or every pending one of {@code topic}, only {@code service}'s if
     * given.
     */
    public record ReplayRequest(String id, String topic, String service) {
    }

    /** What a replay did, in dead-letter order. */
    public record ReplayResult(List<DeadLetters.Replayed> replayed) {
    }

    private final DeadLetters deadLetters;
    private final CurrentCaller caller;

    public DeadLetterResource(DeadLetters deadLetters, CurrentCaller caller) {
        this.deadLetters = deadLetters;
        this.caller = caller;
    }

    @GET
    @Operation(summary = "Dead letters, by topic and offset (platform admin); 'topic' (a topic or its .dlq),"
            + " 'service' and 'status' (pending, the default; replayed; all) filter")
    public Page<DeadLetter> list(@QueryParam("topic") String topic, @QueryParam("service") String service,
                                 @QueryParam("status") String status, @QueryParam("limit") Integer limit,
                                 @QueryParam("after") String after) {
        caller.get().requirePlatformAdmin();
        int size = Cursor.limit(limit);
        DeadLetters.Status wanted = status(status);
        List<DeadLetter> all = mapped(() -> deadLetters.list(blankToNull(topic), blankToNull(service), wanted));
        int start = 0;
        if (after != null && !after.isBlank()) {
            start = all.stream().map(DeadLetter::id).toList().indexOf(after) + 1;
            if (start == 0) {
                throw ApiException.invalid("query parameter 'after' is not a dead letter of this list: '" + after + "'");
            }
        }
        return Page.of(all.subList(start, Math.min(all.size(), start + size + 1)), size, DeadLetter::id);
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One dead letter with its value and headers (platform admin); the id is"
            + " <dlq topic>:<partition>:<offset>")
    public DeadLetter get(@PathParam("id") String id) {
        caller.get().requirePlatformAdmin();
        return mapped(() -> deadLetters.get(id));
    }

    @POST
    @Path("/replay")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Send dead letters back to the topics they came from, unchanged (same event id): the consumer"
            + " that failed processes them, the others skip them (platform admin). The body names one dead letter"
            + " ('id'; 409 once it was replayed) or a 'topic' whose pending ones to replay, only one 'service''s if"
            + " given")
    public ReplayResult replay(ReplayRequest body) {
        caller.get().requirePlatformAdmin();
        ReplayRequest request = body == null ? new ReplayRequest(null, null, null) : body;
        String id = blankToNull(request.id());
        String topic = blankToNull(request.topic());
        if ((id == null) == (topic == null)) {
            throw ApiException.invalid("the body names one dead letter ('id') or a 'topic', not both");
        }
        if (id != null && request.service() != null) {
            throw ApiException.invalid("'service' goes with 'topic'");
        }
        String by = caller.get().keyId();
        return new ReplayResult(mapped(() -> id != null ? List.of(deadLetters.replay(id, by))
                : deadLetters.replayAll(topic, blankToNull(request.service()), by)));
    }

    private static DeadLetters.Status status(String status) {
        if (status == null || status.isBlank()) {
            return DeadLetters.Status.PENDING;
        }
        try {
            return DeadLetters.Status.valueOf(status.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("query parameter 'status' must be pending, replayed or all, was '" + status + "'");
        }
    }

    private static <T> T mapped(Supplier<T> call) {
        try {
            return call.get();
        } catch (DeadLetterException e) {
            throw switch (e.kind()) {
                case NOT_FOUND -> ApiException.notFound(e.getMessage());
                case CONFLICT -> ApiException.conflict(e.getMessage());
                case INVALID -> ApiException.invalid(e.getMessage());
            };
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
