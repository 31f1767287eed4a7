package dev.tuneforge.gateway.domain;

import java.time.OffsetDateTime;

/** A project as the API shows it. */
public record ProjectView(String id, OffsetDateTime createdAt) {
}
