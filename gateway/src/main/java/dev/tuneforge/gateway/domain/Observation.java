package dev.tuneforge.gateway.domain;

import java.time.Instant;
import java.util.List;

/**
 * One served chat completion, as the gateway records it for drift monitoring: what was asked, what was answered,
 * which version answered and how. Written as one line of a JSONL batch ({@link ObservationLines}).
 *
 * @param id               the client's id (intake) or the completion's id (served by the gateway); unique per
 *                         project and model for the intake
 * @param version          the model version that served it; null when a base model (or a job's result not
 *                         registered as a version) did
 * @param latencyMs        null when not known
 * @param promptTokens     null when not known
 * @param completionTokens null when not known
 */
public record Observation(String id, Instant time, String model, Integer version, Source source,
                          List<Message> messages, String completion, Long latencyMs, Integer promptTokens,
                          Integer completionTokens) {

    /** One message of the conversation, its content as text. */
    public record Message(String role, String content) {
    }

    /** Where an observation comes from. */
    public enum Source {
        /** A chat completion the gateway served. */
        GATEWAY,
        /** A server elsewhere, through the intake. */
        EXTERNAL;

        public String value() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Observation {
        messages = List.copyOf(messages);
    }
}
