package dev.tuneforge.gateway.openai;

import dev.tuneforge.gateway.api.OpenAiError;

/** The errors of the fine-tuning surface, in OpenAI's shape ({@link OpenAiError}). */
final class OpenAiErrors {

    private OpenAiErrors() {
    }

    static OpenAiError invalid(String param, String message) {
        return OpenAiError.invalid(param, message);
    }

    static OpenAiError notFound(String param, String message) {
        return new OpenAiError(404, "invalid_request_error", param, "not_found", message);
    }

    /** A refusal that sending again will not change: 400 (the SDKs retry a 409). */
    static OpenAiError refused(String message) {
        return new OpenAiError(400, "invalid_request_error", null, "invalid_state", message);
    }

    /** A race that sending again resolves: 409, which the official SDKs retry by themselves. */
    static OpenAiError conflict(String message) {
        return new OpenAiError(409, "invalid_request_error", null, "conflict", message);
    }
}
