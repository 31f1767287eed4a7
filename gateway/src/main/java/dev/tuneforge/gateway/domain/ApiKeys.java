package dev.tuneforge.gateway.domain;

import dev.tuneforge.gateway.config.GatewayConfig;
import dev.tuneforge.gateway.storage.ApiKeyStore;
import dev.tuneforge.gateway.storage.ProjectStore;
import dev.tuneforge.kit.db.AfterCommit;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;

/**
 * API keys: {@code tf_} followed by 256 random bits. Only the SHA-256 of a secret is stored; a
 * high-entropy secret needs no salt or slow hash, and the hash is a unique index, so authentication
 * is one lookup. Key management is scoped like everything else: a project admin manages its own
 * project's keys, the platform admin any project's; any other role is refused before a key is looked up. Rotating or revoking a key also ends its open event streams,
 * once the change is committed (a client reconnecting earlier would still get in).
 */
@ApplicationScoped
public class ApiKeys {

    public static final String PREFIX = "tf_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ApiKeyStore keys;
    private final ProjectStore projects;
    private final EventStreams streams;
    private final AfterCommit afterCommit;
    private final String bootstrapProject;

    public ApiKeys(ApiKeyStore keys, ProjectStore projects, EventStreams streams, AfterCommit afterCommit,
                   GatewayConfig config) {
        this.keys = keys;
        this.projects = projects;
        this.streams = streams;
        this.afterCommit = afterCommit;
        this.bootstrapProject = config.bootstrapProject();
    }

    /** The caller a bearer secret stands for; empty for an unknown or revoked key. */
    public Optional<Caller> authenticate(String secret) {
        if (secret == null || !secret.startsWith(PREFIX)) {
            return Optional.empty();
        }
        return keys.bySecretHash(hash(secret)).filter(key -> !key.revoked()).map(key -> {
            Role role = Role.of(key.role()).orElseThrow();
            return new Caller(key.keyId(), key.projectId(), role,
                    role == Role.ADMIN && bootstrapProject.equals(key.projectId()));
        });
    }

    /** Creates a key in {@code projectId} (the caller's own unless the caller is the platform admin). */
    @Transactional
    public KeyView create(Caller caller, String projectId, String name, String roleName) {
        caller.requireAdmin();
        String project = projectId == null || projectId.isBlank() ? caller.projectId() : projectId;
        if (!project.equals(caller.projectId())) {
            caller.requirePlatformAdmin();
        }
        if (projects.find(project).isEmpty()) {
            throw DomainException.notFound("no project '" + project + "'");
        }
        Role role = Role.of(roleName == null ? Role.MEMBER.value() : roleName).orElseThrow(() -> DomainException.invalid(
                "'role' must be one of admin, member, read-only; was '" + roleName + "'"));
        if (name != null && name.length() > 100) {
            throw DomainException.invalid("'name' is longer than 100 characters");
        }
        return insert(project, name == null || name.isBlank() ? role.value() + " key" : name, role);
    }

    /** Creates a key without any caller's permission: the first admin key, at first start. */
    @Transactional(Transactional.TxType.MANDATORY)
    public KeyView createFirst(String projectId, Role role, String presetSecret) {
        return insert(projectId, "bootstrap admin", role, presetSecret);
    }

    public Page<KeyView> list(Caller caller, String projectId, Cursor after, int limit) {
        caller.requireAdmin();
        String project = projectId == null || projectId.isBlank() ? caller.projectId() : projectId;
        if (!project.equals(caller.projectId()) && !caller.platformAdmin()) {
            // Another project's keys: as if the project did not exist.
            return new Page<>(java.util.List.of(), false, null);
        }
        return Page.of(keys.list(project, after, limit + 1), limit,
                key -> new Cursor(key.createdAt(), key.id()).encode());
    }

    /** One key, for an admin: who holds which role is key management (a key sees itself at /me). */
    public KeyView get(Caller caller, String keyId) {
        caller.requireAdmin();
        return visible(caller, keyId);
    }

    /** A new secret for the same key (id, name, role): the old secret stops working at once. */
    @Transactional
    public KeyView rotate(Caller caller, String keyId) {
        caller.requireAdmin();
        KeyView key = visible(caller, keyId);
        String secret = newSecret();
        if (!keys.replaceSecret(keyId, hash(secret), hint(secret))) {
            throw DomainException.conflict("key '" + keyId + "' is revoked; create a new key instead");
        }
        afterCommit.run(() -> streams.endAll(keyId));
        return keys.find(key.id()).orElseThrow().withSecret(secret);
    }

    @Transactional
    public KeyView revoke(Caller caller, String keyId) {
        caller.requireAdmin();
        visible(caller, keyId);
        keys.revoke(keyId);
        afterCommit.run(() -> streams.endAll(keyId));
        return keys.find(keyId).orElseThrow();
    }

    /** The key, if the caller may see it: its own project's, or any for the platform admin. */
    private KeyView visible(Caller caller, String keyId) {
        return keys.find(keyId)
                .filter(key -> caller.platformAdmin() || key.projectId().equals(caller.projectId()))
                .orElseThrow(() -> DomainException.notFound("no key '" + keyId + "'"));
    }

    private KeyView insert(String projectId, String name, Role role) {
        return insert(projectId, name, role, null);
    }

    private KeyView insert(String projectId, String name, Role role, String presetSecret) {
        String keyId = "key_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        String secret = presetSecret == null ? newSecret() : presetSecret;
        keys.insert(keyId, projectId, name, role.value(), hash(secret), hint(secret));
        return keys.find(keyId).orElseThrow().withSecret(secret);
    }

    static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String hint(String secret) {
        return secret.substring(0, Math.min(secret.length(), PREFIX.length() + 6)) + "…";
    }

    static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
