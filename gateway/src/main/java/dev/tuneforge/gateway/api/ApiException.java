package dev.tuneforge.gateway.api;

import jakarta.ws.rs.core.Response;

import java.util.List;

/**
 * An error the API answers with a problem document; {@code kind} is the stable last segment of the
 * problem {@code type}. Thrown anywhere below a resource, mapped by {@link ProblemMappers}.
 */
public class ApiException extends RuntimeException {

    private final int status;
    private final String kind;
    private final String title;
    private final List<String> errors;
    /** Seconds for {@code Retry-After}; 0: no such header. */
    private final long retryAfter;

    public ApiException(Response.Status status, String kind, String title, String detail) {
        this(status, kind, title, detail, null);
    }

    public ApiException(Response.Status status, String kind, String title, String detail, List<String> errors) {
        this(status.getStatusCode(), kind, title, detail, errors);
    }

    public ApiException(int status, String kind, String title, String detail, List<String> errors) {
        this(status, kind, title, detail, errors, 0);
    }

    private ApiException(int status, String kind, String title, String detail, List<String> errors, long retryAfter) {
        super(detail);
        this.status = status;
        this.kind = kind;
        this.title = title;
        this.errors = errors == null ? null : List.copyOf(errors);
        this.retryAfter = retryAfter;
    }

    /** Also for another project's resource: tenancy never tells "exists, but not yours". */
    public static ApiException notFound(String detail) {
        return new ApiException(Response.Status.NOT_FOUND, "not-found", "Not found", detail);
    }

    public static ApiException forbidden(String detail) {
        return new ApiException(Response.Status.FORBIDDEN, "forbidden", "Forbidden", detail);
    }

    public static ApiException missing(String detail) {
        return new ApiException(Response.Status.BAD_REQUEST, "missing-parameter", "Missing parameter", detail);
    }

    public static ApiException invalid(String detail) {
        return new ApiException(Response.Status.BAD_REQUEST, "invalid-parameter", "Invalid parameter", detail);
    }

    public static ApiException conflict(String detail) {
        return new ApiException(Response.Status.CONFLICT, "conflict", "Conflict", detail);
    }

    /** 429: the caller is over a limit of its own; it may try again in {@code retryAfter} seconds. */
    public static ApiException tooMany(String kind, String title, String detail, long retryAfter) {
        return new ApiException(429, kind, title, detail, null, retryAfter);
    }

    /**
     * 422: the request is well-formed but cannot be carried out; {@code errors} names every reason
     * (the detail joins them).
     */
    public static ApiException unprocessable(String kind, String title, List<String> errors) {
        return new ApiException(422, kind, title, String.join("; ", errors), errors);
    }

    public int status() {
        return status;
    }

    public Response toResponse() {
        Response problem = Problem.response(status, kind, title, getMessage(), errors);
        return retryAfter > 0 ? Response.fromResponse(problem).header("Retry-After", retryAfter).build() : problem;
    }
}
