package dev.tuneforge.worker.serve;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An error answered in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}, so
 * OpenAI client libraries raise it with the message intact.
 *
 * @param status HTTP status
 * @param param  the request field at fault, or null
 * @param code   a machine-readable code such as {@code context_length_exceeded}, or null
 */
final class ApiError extends RuntimeException {

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    private ApiError(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: the request is wrong; {@code param} names the field. */
    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", message, param, null);
    }

    static ApiError invalid(String param, String message, String code) {
        return new ApiError(400, "invalid_request_error", message, param, code);
    }

    static ApiError notFound(String message) {
        return new ApiError(404, "invalid_request_error", message, null, "not_found");
    }

    /** 404 for a {@code model} this server does not serve, as OpenAI answers it. */
    static ApiError modelNotFound(String message) {
        return new ApiError(404, "invalid_request_error", message, "model", "model_not_found");
    }

    static ApiError methodNotAllowed(String message) {
        return new ApiError(405, "invalid_request_error", message, null, "method_not_allowed");
    }

    static ApiError internal(String message) {
        return new ApiError(500, "server_error", message, null, null);
    }

    int status() {
        return status;
    }

    ObjectNode toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }
}
