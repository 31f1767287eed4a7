package dev.tuneforge.gateway.api;

import jakarta.ws.rs.core.Response;

/**
 * An error the API answers with a problem document; {@code kind} is the stable last segment of the
 * problem {@code type}. Thrown anywhere below a resource, mapped by {@link ProblemMappers}.
 */
public class ApiException extends RuntimeException {

    private final Response.Status status;
    private final String kind;
    private final String title;

    public ApiException(Response.Status status, String kind, String title, String detail) {
        super(detail);
        this.status = status;
        this.kind = kind;
        this.title = title;
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

    public Response toResponse() {
        return Problem.response(status, kind, title, getMessage());
    }
}
