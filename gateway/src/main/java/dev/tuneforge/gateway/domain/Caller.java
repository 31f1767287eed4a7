package dev.tuneforge.gateway.domain;


/**
 * Who is calling: the key's project is the tenant of every query and command of the request. The
 * caller is an API key or, when OIDC is switched on, an OIDC access token mapped by
 * {@code dev.tuneforge.gateway.auth.OidcCallers}.
 *
 * @param keyId         the API key's id, or {@code oidc:<sub>} for an OIDC token's subject
 * @param platformAdmin an admin of the bootstrap project (key or token): may create and see every project
 */
public record Caller(String keyId, String projectId, Role role, boolean platformAdmin) {

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
