package dev.tuneforge.gateway.domain;

import dev.tuneforge.gateway.api.ApiException;

/**
 * Who is calling: the key's project is the tenant of every query and command of the request.
 *
 * @param platformAdmin an admin key of the bootstrap project: may create and see every project
 */
public record Caller(String keyId, String projectId, Role role, boolean platformAdmin) {

    public void requireAdmin() {
        if (role != Role.ADMIN) {
            throw ApiException.forbidden("this needs a key with role 'admin'; this key has role '" + role.value() + "'");
        }
    }

    public void requirePlatformAdmin() {
        if (!platformAdmin) {
            throw ApiException.forbidden("this needs the platform admin key (an admin key of the bootstrap project)");
        }
    }
}
