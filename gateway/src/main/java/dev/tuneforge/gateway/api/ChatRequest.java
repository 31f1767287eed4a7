package dev.tuneforge.gateway.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.tuneforge.kit.naming.Names;

import java.io.IOException;
import java.util.regex.Pattern;

/**
 * What the gateway itself reads of a {@code /v1/chat/completions} body before it picks a server: that the body is
 * one JSON object (nothing after it: the body is passed on as it came, so what the gateway checked is what the
 * worker reads) and which {@code model} it names. The rest (messages, sampling) is the worker's to check. Anything
 * else is an {@link OpenAiError}, never another exception. {@code body} is the parsed request (its messages are
 * recorded as an observation of the chat).
 *
 * <p>A {@code model} that no model can be called (a name as {@link Names} allows, with
 * {@code :version} or {@code @alias}, or a job's {@code ft:} name) is not found before any lookup: such a string, e.g. one holding NUL, would
 * otherwise reach the read model's query, which PostgreSQL refuses.
 */
record ChatRequest(String model, JsonNode body) {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    private static final Pattern MODEL_REFERENCE =
            Pattern.compile("(" + Names.NAME_REGEX + ")(:[0-9]{1,9}|@" + Names.NAME_REGEX + ")?"
                    // a job's result or checkpoint, as /v1/fine_tuning/jobs names it (FineTunedModelName)
                    + "|ft:" + Names.NAME_REGEX + ":[A-Za-z0-9._-]{1,128}:" + Names.NAME_REGEX
                    + ":job_[0-9a-f]{1,64}(:ckpt-step-[0-9]{1,12})?");

    /** Whether {@code model} has the form of something a model can be called (only such a string reaches a query). */
    static boolean canName(String model) {
        return MODEL_REFERENCE.matcher(model).matches();
    }

    static ChatRequest parse(String body) {
        JsonNode request;
        try {
            request = body == null || body.isBlank() ? null : JSON.readTree(body);
        } catch (IOException e) {
            throw OpenAiError.invalid(null, "The body is not valid JSON: " + e.getMessage());
        }
        if (request == null || !request.isObject()) {
            throw OpenAiError.invalid(null, "The body must be a JSON object with 'model' and 'messages'");
        }
        JsonNode modelNode = request.path("model");
        if (!modelNode.isTextual() || modelNode.asText().isBlank()) {
            throw OpenAiError.invalid("model", "you must provide a model parameter");
        }
        String model = modelNode.asText();
        if (!canName(model)) {
            throw OpenAiError.modelNotFound("The model '" + model + "' does not exist");
        }
        return new ChatRequest(model, request);
    }
}
