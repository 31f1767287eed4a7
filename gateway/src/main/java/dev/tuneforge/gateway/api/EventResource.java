package dev.tuneforge.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.gateway.config.GatewayConfig;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.EventStreams;
import dev.tuneforge.gateway.domain.EventView;
import dev.tuneforge.gateway.domain.Page;
import dev.tuneforge.gateway.storage.EventReadModel;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code /api/v1/events}: the caller's project's events from the read model, as a page of JSON or,
 * with {@code Accept: text/event-stream}, as Server-Sent Events whose {@code id} is the event's
 * {@code seq}. A stream starts after {@code Last-Event-ID} (a reconnecting client), else after
 * {@code after}, else at the live end; it polls the events table, whose seq order is commit order,
 * so a resumed stream misses nothing and repeats nothing. A stream ends when the key that opened it is revoked
 * or rotated, and a key holds only so many at once ({@link EventStreams}).
 */
@Path("/api/v1/events")
public class EventResource {

    private static final int BATCH = 200;

    private final EventReadModel events;
    private final EventStreams streams;
    private final CurrentCaller caller;
    private final ObjectMapper json;
    private final Duration pollInterval;

    public EventResource(EventReadModel events, EventStreams streams, CurrentCaller caller, ObjectMapper json,
                         GatewayConfig config) {
        this.events = events;
        this.streams = streams;
        this.caller = caller;
        this.json = json;
        this.pollInterval = config.events().pollInterval();
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The caller's project's events, in order; 'after' is an event's seq")
    public Page<EventView> list(@QueryParam("limit") Integer limit, @QueryParam("after") String after) {
        int size = Cursor.limit(limit);
        return Page.of(events.list(caller.get().projectId(), seq(after, "after", 0), size + 1), size,
                event -> Long.toString(event.seq()));
    }

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    @Operation(summary = "The caller's project's events, live, as Server-Sent Events (resumable with Last-Event-ID)")
    public Multi<OutboundSseEvent> stream(@HeaderParam("Last-Event-ID") String lastEventId,
                                          @QueryParam("after") String after, @Context Sse sse) {
        String project = caller.get().projectId();
        long start = lastEventId != null && !lastEventId.isBlank() ? seq(lastEventId, "Last-Event-ID", 0)
                : after != null ? seq(after, "after", 0)
                : events.lastSeq(project);
        return stream(start, (from, limit) -> events.list(project, from, limit), streams.open(caller.get()), sse, json,
                pollInterval);
    }

    /** Reads a batch of events with {@code seq > after}, at most {@code limit}. */
    @FunctionalInterface
    interface Source {
        List<EventView> after(long after, int limit);
    }

    /** One poll: the events found, or the end of the stream because its key is gone. */
    private record Poll(List<EventView> events, boolean keyGone) {
    }

    /**
     * Events from {@code source} after {@code start} as Server-Sent Events (id: seq, name: type), polling
     * every {@code pollInterval} for as long as {@code stream} is live; shared by the project's stream and a
     * job's. The stream's place is given back however the stream ends (its key gone, the client gone, a failure).
     */
    static Multi<OutboundSseEvent> stream(long start, Source source, EventStreams.Stream stream, Sse sse,
                                          ObjectMapper json, Duration pollInterval) {
        AtomicLong cursor = new AtomicLong(start);
        return Multi.createBy().repeating()
                .uni(() -> Uni.createFrom().item(() -> {
                    if (!stream.live()) {
                        return new Poll(List.of(), true);
                    }
                    List<EventView> batch = source.after(cursor.get(), BATCH);
                    if (!batch.isEmpty()) {
                        cursor.set(batch.get(batch.size() - 1).seq());
                    }
                    return new Poll(batch, false);
                }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool()))
                .withDelay(pollInterval).until(Poll::keyGone)
                .onItem().transformToIterable(Poll::events)
                .map(event -> sse.newEventBuilder().id(Long.toString(event.seq())).name(event.type())
                        .mediaType(MediaType.APPLICATION_JSON_TYPE).data(String.class, write(json, event)).build())
                .onTermination().invoke(stream::close);
    }

    private static String write(ObjectMapper json, EventView event) {
        try {
            return json.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long seq(String value, String name, long fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            long seq = Long.parseLong(value.trim());
            if (seq < 0) {
                throw new NumberFormatException();
            }
            return seq;
        } catch (NumberFormatException e) {
            throw ApiException.invalid("'" + name + "' must be an event's seq (a number), was '" + value + "'");
        }
    }
}
