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

    public ApiException(Response.Status status, String kind, String title, String detail) {
        this(status, kind, title, detail, null);
    }

    public ApiException(Response.Status status, String kind, String title, String detail, List<String> errors) {
        this(status.getStatusCode(), kind, title, detail, errors);
    }

    public ApiException(int status, String kind, String title, String detail, List<String> errors) {
        super(detail);
        this.status = status;
        this.kind = kind;
        this.title = title;
        this.errors = errors == null ? null : List.copyOf(errors);
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

    /**
     * 422: the request is well-formed but cannot be carried out; {@code errors} names every reason
     * (the detail joins them).
     */
    public static ApiException unprocessable(String kind, String title, List<String> errors) {
        return new ApiException(422, kind, title, String.join("; ", errors), errors);
    }

    public Response toResponse() {
        return Problem.response(status, kind, title, getMessage(), errors);
    }
}
