package dev.tuneforge.gateway.api;

import dev.tuneforge.gateway.domain.ApiKeys;
import dev.tuneforge.gateway.domain.Caller;
import dev.tuneforge.gateway.domain.CurrentCaller;
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
 * Every API request carries {@code Authorization: Bearer tf_...}: no key or an unknown or revoked
 * key is 401, a key over its rate is 429 with {@code Retry-After}, a read-only key may only read.
 * Health, metrics and the OpenAPI document ({@code /q/*}) are not JAX-RS resources and stay open.
 */
@Provider
@Priority(Priorities.AUTHENTICATION)
public class ApiKeyFilter implements ContainerRequestFilter {

    private static final String BEARER = "Bearer ";
    private static final Set<String> READ_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final ApiKeys keys;
    private final CurrentCaller current;
    private final RateLimiter rateLimiter;

    public ApiKeyFilter(ApiKeys keys, CurrentCaller current, RateLimiter rateLimiter) {
        this.keys = keys;
        this.current = current;
        this.rateLimiter = rateLimiter;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        String authorization = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            request.abortWith(unauthorized("unauthenticated", "Unauthenticated",
                    "send an API key: 'Authorization: Bearer tf_...'"));
            return;
        }
        Optional<Caller> caller = keys.authenticate(authorization.substring(BEARER.length()).trim());
        if (caller.isEmpty()) {
            request.abortWith(unauthorized("invalid-api-key", "Invalid API key",
                    "the API key is unknown or revoked"));
            return;
        }
        long wait = rateLimiter.acquire(caller.get().keyId());
        if (wait > 0) {
            request.abortWith(Response.fromResponse(Problem.response(429, "rate-limited", "Too many requests",
                    "this key is over its request rate; retry in " + wait + "s")).header("Retry-After", wait).build());
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
