package dev.tuneforge.gateway.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error of the OpenAI-compatible API under {@code /v1}, in OpenAI's shape
 * ({@code {"error": {"message", "type", "param", "code"}}}) so that the official SDKs raise their usual
 * exceptions. Authentication failures stay problem documents, as everywhere (ApiKeyFilter runs first).
 */
public class OpenAiError extends RuntimeException {

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public OpenAiError(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    public static OpenAiError invalid(String param, String message) {
        return new OpenAiError(400, "invalid_request_error", param, null, message);
    }

    public static OpenAiError modelNotFound(String message) {
        return new OpenAiError(404, "invalid_request_error", "model", "model_not_found", message);
    }

    public Response toResponse() {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", error)).build();
    }
}
