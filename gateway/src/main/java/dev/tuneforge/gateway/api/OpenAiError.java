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
    private final Long retryAfterSeconds;

    public OpenAiError(int status, String type, String param, String code, String message) {
        this(status, type, param, code, message, null);
    }

    private OpenAiError(int status, String type, String param, String code, String message, Long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 503 with {@code Retry-After}: every model server is taken; the official SDKs retry it after that long. */
    public static OpenAiError serversBusy(String message, long retryAfterSeconds) {
        return new OpenAiError(503, "server_error", "model", "servers_busy", message, retryAfterSeconds);
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
        Response.ResponseBuilder response = Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", error));
        if (retryAfterSeconds != null) {
            response.header("Retry-After", retryAfterSeconds);
        }
        return response.build();
    }
}
