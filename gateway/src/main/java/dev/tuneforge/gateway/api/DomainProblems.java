package dev.tuneforge.gateway.api;

import dev.tuneforge.gateway.domain.DomainException;
import jakarta.ws.rs.core.Response;

/**
 * How the API answers a domain refusal: the HTTP status of each {@link DomainException.Reason}, as a problem
 * document (under {@code /v1}, {@link OpenAiErrorShape} turns it into OpenAI's error shape with the status the
 * SDKs map to their exception classes).
 */
public final class DomainProblems {

    private DomainProblems() {
    }

    public static int status(DomainException.Reason reason) {
        return switch (reason) {
            case NOT_FOUND -> 404;
            case FORBIDDEN -> 403;
            case UNAUTHENTICATED -> 401;
            case MISSING, INVALID -> 400;
            case CONFLICT -> 409;
            case UNPROCESSABLE -> 422;
            case LIMITED -> 429;
        };
    }

    public static Response response(DomainException e) {
        Response problem = Problem.response(status(e.reason()), e.kind(), e.title(), e.getMessage(), e.errors());
        return e.retryAfterSeconds() > 0
                ? Response.fromResponse(problem).header("Retry-After", e.retryAfterSeconds()).build()
                : problem;
    }
}
