package dev.tuneforge.gateway.auth;

import dev.tuneforge.gateway.config.GatewayConfig;
import dev.tuneforge.gateway.domain.Caller;
import dev.tuneforge.gateway.domain.DomainException;
import dev.tuneforge.gateway.domain.Role;
import dev.tuneforge.gateway.storage.ProjectStore;
import io.quarkus.oidc.AccessTokenCredential;
import io.quarkus.oidc.TenantIdentityProvider;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.json.JsonString;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * OIDC access tokens as callers, beside the API keys; off unless {@code quarkus.oidc.tenant-enabled=true}
 * (with {@code quarkus.oidc.auth-server-url} and {@code quarkus.oidc.token.audience}). quarkus-oidc
 * verifies the token (signature against the issuer's JWKS, issuer, audience, expiry); this class maps
 * its claims to a {@link Caller}:
 * <ul>
 *   <li>project: the claim {@code tuneforge.oidc.project-claim} ({@code tuneforge_project}); it must
 *       name an existing project, else {@code 403 unknown-project};</li>
 *   <li>role: the claim {@code tuneforge.oidc.role-claim} ({@code tuneforge_role}), one of admin, member,
 *       read-only; {@code read-only} when absent; any other value is {@code 403 invalid-role};</li>
 *   <li>key id: {@code oidc:<sub>} (the rate-limit bucket, {@code /me}, {@code uploadedBy});</li>
 *   <li>platform admin: role admin in the bootstrap project, exactly as for API keys.</li>
 * </ul>
 * A token quarkus-oidc rejects is {@code 401 invalid-token}. The HTTP authentication of quarkus-oidc
 * never runs on its own ({@code quarkus.http.auth.proactive=false}, no security annotations): only
 * {@code ApiKeyFilter} asks, and only for a bearer token that is not a {@code tf_} key.
 */
@ApplicationScoped
public class OidcCallers {

    /** The prefix of the key id of a caller authenticated by an OIDC token. */
    public static final String KEY_ID_PREFIX = "oidc:";

    private static final Logger LOG = Logger.getLogger(OidcCallers.class);
    private static final Duration VERIFY_TIMEOUT = Duration.ofSeconds(10);

    private final boolean enabled;
    private final String projectClaim;
    private final String roleClaim;
    private final String bootstrapProject;
    private final ProjectStore projects;
    private final TenantIdentityProvider identities;

    public OidcCallers(@ConfigProperty(name = "quarkus.oidc.tenant-enabled", defaultValue = "false") boolean enabled,
                       GatewayConfig config, ProjectStore projects, TenantIdentityProvider identities) {
        this.enabled = enabled;
        this.projectClaim = config.oidc().projectClaim();
        this.roleClaim = config.oidc().roleClaim();
        this.bootstrapProject = config.bootstrapProject();
        this.projects = projects;
        this.identities = identities;
    }

    /** Without an audience, quarkus-oidc accepts any token of the issuer, also those meant for other services. */
    void warnWithoutAudience(@Observes StartupEvent start,
                             @ConfigProperty(name = "quarkus.oidc.token.audience") Optional<List<String>> audience) {
        if (enabled && audience.filter(list -> !list.isEmpty()).isEmpty()) {
            LOG.warn("OIDC is on but quarkus.oidc.token.audience is not set: tokens the issuer made for any"
                    + " other client are accepted too; set it to this gateway's audience");
        }
    }

    /** Whether bearer tokens that are not API keys are OIDC access tokens (else they are unknown keys). */
    public boolean enabled() {
        return enabled;
    }

    /**
     * The caller an OIDC access token stands for.
     *
     * @throws DomainException {@code 401 invalid-token} if the token does not verify, {@code 403 unknown-project}
     *                      or {@code 403 invalid-role} if its claims name no caller of tuneforge
     */
    public Caller authenticate(String token) {
        if (!enabled) {
            throw new IllegalStateException("OIDC is off (quarkus.oidc.tenant-enabled=false)");
        }
        SecurityIdentity identity = verify(token);
        JsonWebToken jwt = identity.getPrincipal() instanceof JsonWebToken claims ? claims : null;
        String project = claim(jwt, projectClaim).orElseThrow(() -> unknownProject(
                "the token has no claim '" + projectClaim + "' naming a tuneforge project"));
        if (projects.find(project).isEmpty()) {
            throw unknownProject("the token's claim '" + projectClaim + "' names no tuneforge project: '" + project + "'");
        }
        Optional<String> roleValue = claim(jwt, roleClaim);
        Role role = roleValue.isEmpty() ? Role.READ_ONLY : Role.of(roleValue.get()).orElseThrow(() ->
                DomainException.forbidden("invalid-role", "Invalid role claim",
                        "the token's claim '" + roleClaim + "' must be one of admin, member, read-only; was '"
                                + roleValue.get() + "'"));
        String subject = jwt != null && jwt.getSubject() != null ? jwt.getSubject() : identity.getPrincipal().getName();
        // quarkus-oidc has checked exp; a token without one (which it accepts) is still bounded by nothing else here
        Instant expiresAt = jwt != null && jwt.getExpirationTime() > 0 ? Instant.ofEpochSecond(jwt.getExpirationTime())
                : null;
        return new Caller(KEY_ID_PREFIX + subject, project, role,
                role == Role.ADMIN && bootstrapProject.equals(project), expiresAt);
    }

    private SecurityIdentity verify(String token) {
        try {
            SecurityIdentity identity = identities.authenticate(new AccessTokenCredential(token))
                    .await().atMost(VERIFY_TIMEOUT);
            if (identity == null || identity.isAnonymous()) {
                throw new AuthenticationFailedException("no identity for the token");
            }
            return identity;
        } catch (AuthenticationFailedException e) {
            LOG.debugf("OIDC token rejected: %s", e.getMessage());
            throw invalidToken();
        } catch (RuntimeException e) {
            // The issuer unreachable, a timeout, a token quarkus-oidc cannot even parse: fail closed.
            LOG.warnf("OIDC token could not be verified: %s", e.toString());
            throw invalidToken();
        }
    }

    /** A top-level claim with a non-blank string value. */
    private static Optional<String> claim(JsonWebToken jwt, String name) {
        if (jwt == null) {
            return Optional.empty();
        }
        Object value = jwt.getClaim(name);
        String text = value instanceof JsonString json ? json.getString() : value instanceof String s ? s : null;
        return text == null || text.isBlank() ? Optional.empty() : Optional.of(text.trim());
    }

    private static DomainException invalidToken() {
        return DomainException.unauthenticated("invalid-token", "Invalid token",
                "the bearer token is neither a valid API key nor an access token this gateway accepts"
                        + " (signature, issuer, audience or expiry)");
    }

    private static DomainException unknownProject(String detail) {
        return DomainException.forbidden("unknown-project", "Unknown project", detail);
    }
}
