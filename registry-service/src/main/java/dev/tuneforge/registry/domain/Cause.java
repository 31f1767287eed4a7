package dev.tuneforge.registry.domain;

import java.util.UUID;

/** Why the registry changes something: the event that asked (its id) and who is behind it. */
public record Cause(UUID eventId, String actor) {
}
