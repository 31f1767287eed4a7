package dev.tuneforge.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.ws.rs.core.Response;

import java.util.List;

/**
 * RFC 9457 problem details. {@code type} is stable per kind of error, so clients can branch on it:
 * {@code https://tuneforge.dev/problems/<kind>}. {@code errors}, an extension member, lists every
 * problem of an input found at once (each naming its field or file), when there are several.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance, List<String> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";
    public static final String TYPE_BASE = "https://tuneforge.dev/problems/";

    public static Response response(Response.Status status, String kind, String title, String detail) {
        return response(status.getStatusCode(), kind, title, detail);
    }

    public static Response response(int status, String kind, String title, String detail) {
        return response(status, kind, title, detail, null);
    }

    public static Response response(int status, String kind, String title, String detail, List<String> errors) {
        return Response.status(status).type(MEDIA_TYPE)
                .entity(new Problem(TYPE_BASE + kind, title, status, detail, null, errors)).build();
    }
}
