package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A public event as the API shows it: {@code seq} is the gateway's global order (the SSE id and the
 * list cursor), {@code id} the CloudEvents id, {@code data} the event's JSON as it was published.
 */
public record EventView(long seq, UUID id, String type, String source, String subject, OffsetDateTime time,
                        JsonNode data) {
}
