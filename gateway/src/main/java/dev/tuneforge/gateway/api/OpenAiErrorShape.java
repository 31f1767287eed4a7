package dev.tuneforge.gateway.api;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Under {@code /v1} every error leaves in OpenAI's shape ({@code {"error": {"message", "type", "param", "code"}}}),
 * whoever made it: the key filter (401, 403, 429), the body limits (413), the framework (404, 405, 415) or a domain
 * check that answered with a problem document. The status and headers ({@code Retry-After}) stay; the official SDKs
 * pick their exception class by the status and read the message from the body. Everywhere else, problem documents.
 */
@Provider
public class OpenAiErrorShape implements ContainerResponseFilter {

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        String path = request.getUriInfo().getRequestUri().getPath();
        if (!(path.equals("/v1") || path.startsWith("/v1/")) || !(response.getEntity() instanceof Problem problem)) {
            return;
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", problem.errors() == null || problem.errors().size() < 2 ? problem.detail()
                : String.join("; ", problem.errors()));
        error.put("type", type(problem.status()));
        error.put("param", null);
        error.put("code", problem.type().substring(problem.type().lastIndexOf('/') + 1).replace('-', '_'));
        response.setEntity(Map.of("error", error), response.getEntityAnnotations(), MediaType.APPLICATION_JSON_TYPE);
        response.getHeaders().putSingle("Content-Type", MediaType.APPLICATION_JSON);
    }

    /** OpenAI's error types by status. */
    static String type(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "invalid_request_error";
            case 429 -> "rate_limit_exceeded";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }
}
