package dev.tuneforge.kit.messaging;

import dev.tuneforge.events.EventEnvelope;

/** A consumer's effect for one event; runs inside the inbox transaction, at most once per event id. */
@FunctionalInterface
public interface EventHandler {

    void handle(EventEnvelope envelope);
}
