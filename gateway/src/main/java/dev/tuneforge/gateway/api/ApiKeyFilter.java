package dev.tuneforge.gateway.api;

import dev.tuneforge.gateway.auth.OidcCallers;
import dev.tuneforge.gateway.domain.ApiKeys;
import dev.tuneforge.gateway.domain.Caller;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.DomainException;
import dev.tuneforge.gateway.domain.RateLimiter;
import dev.tuneforge.gateway.domain.Role;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

import java.util.Optional;
import java.util.Set;

/**
 * Every API request carries {@code Authorization: Bearer <token>}: no token or an unknown or revoked
 * key is 401, a caller over its rate is 429 with {@code Retry-After}, a read-only caller may only read.
 * A {@code tf_...} token is an API key, always. Any other token is an OIDC access token when OIDC is
 * switched on ({@code quarkus.oidc.tenant-enabled=true}, see {@link OidcCallers}), and an unknown key
 * otherwise. Health, metrics and the OpenAPI document ({@code /q/*}) are not JAX-RS resources and stay open.
 */
@Provider
@Priority(Priorities.AUTHENTICATION)
public class ApiKeyFilter implements ContainerRequestFilter {

    private static final String BEARER = "Bearer ";
    private static final Set<String> READ_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final ApiKeys keys;
    private final CurrentCaller current;
    private final RateLimiter rateLimiter;
    private final OidcCallers oidc;

    public ApiKeyFilter(ApiKeys keys, CurrentCaller current, RateLimiter rateLimiter, OidcCallers oidc) {
        this.keys = keys;
        this.current = current;
        this.rateLimiter = rateLimiter;
        this.oidc = oidc;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        String authorization = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            request.abortWith(unauthorized("unauthenticated", "Unauthenticated", oidc.enabled()
                    ? "send an API key ('Authorization: Bearer tf_...') or an OIDC access token ('Authorization: Bearer <token>')"
                    : "send an API key: 'Authorization: Bearer tf_...'"));
            return;
        }
        String token = authorization.substring(BEARER.length()).trim();
        Optional<Caller> caller;
        if (oidc.enabled() && !token.isEmpty() && !token.startsWith(ApiKeys.PREFIX)) {
            try {
                caller = Optional.of(oidc.authenticate(token));
            } catch (DomainException rejected) {
                Response response = DomainProblems.response(rejected);
                request.abortWith(response.getStatus() == Response.Status.UNAUTHORIZED.getStatusCode()
                        ? Response.fromResponse(response).header(HttpHeaders.WWW_AUTHENTICATE,
                        "Bearer realm=\"tuneforge\", error=\"invalid_token\"").build()
                        : response);
                return;
            }
        } else {
            caller = keys.authenticate(token);
        }
        if (caller.isEmpty()) {
            request.abortWith(unauthorized("invalid-api-key", "Invalid API key",
                    "the API key is unknown or revoked"));
            return;
        }
        long wait = rateLimiter.acquire(caller.get().keyId());
        if (wait > 0) {
            request.abortWith(ApiException.tooMany("rate-limited", "Too many requests",
                    "this caller is over its request rate; retry in " + wait + "s", wait).toResponse());
            return;
        }
        if (caller.get().role() == Role.READ_ONLY && !READ_METHODS.contains(request.getMethod())) {
            request.abortWith(ApiException.forbidden("a read-only key may not " + request.getMethod()).toResponse());
            return;
        }
        current.set(caller.get());
    }

    private static Response unauthorized(String kind, String title, String detail) {
        return Response.fromResponse(Problem.response(Response.Status.UNAUTHORIZED, kind, title, detail))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"tuneforge\"").build();
    }
}
