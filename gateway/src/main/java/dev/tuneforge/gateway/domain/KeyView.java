package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.OffsetDateTime;

/**
 * An API key as the API shows it. {@code secret} is present only in the answer that created or
 * rotated the key: the gateway keeps its hash, never the secret.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KeyView(
        String id,
        String projectId,
        String name,
        String role,
        String hint,
        OffsetDateTime createdAt,
        OffsetDateTime rotatedAt,
        OffsetDateTime revokedAt,
        String secret) {

    public KeyView withSecret(String secret) {
        return new KeyView(id, projectId, name, role, hint, createdAt, rotatedAt, revokedAt, secret);
    }
}
