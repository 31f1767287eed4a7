package dev.tuneforge.gateway.domain;

import java.time.Instant;


/**
 * Who is calling: the key's project is the tenant of every query and command of the request. The
 * caller is an API key or, when OIDC is switched on, an OIDC access token mapped by
 * {@code dev.tuneforge.gateway.auth.OidcCallers}.
 *
 * @param keyId         the API key's id, or {@code oidc:<sub>} for an OIDC token's subject
 * @param platformAdmin an admin of the bootstrap project (key or token): may create and see every project
 * @param expiresAt     when the credential stops being valid: an OIDC token's {@code exp}; null for an API key (it
 *                      is valid until revoked). What outlives the request (an event stream) ends then.
 */
public record Caller(String keyId, String projectId, Role role, boolean platformAdmin, Instant expiresAt) {

    /** An API key's caller: valid until the key is revoked or rotated. */
    public Caller(String keyId, String projectId, Role role, boolean platformAdmin) {
        this(keyId, projectId, role, platformAdmin, null);
    }

    public void requireAdmin() {
        if (role != Role.ADMIN) {
            throw DomainException.forbidden("this needs a key with role 'admin'; this key has role '" + role.value() + "'");
        }
    }

    public void requirePlatformAdmin() {
        if (!platformAdmin) {
            throw DomainException.forbidden("this needs the platform admin key (an admin key of the bootstrap project)");
        }
    }
}
