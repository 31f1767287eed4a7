package dev.tuneforge.worker.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.tokenizer.ChatTemplateException;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.protocol.GenerationParams;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code /v1/chat/completions} or {@code /v1/completions} request, checked and tokenized. Fields are
 * read as OpenAI documents them; a wrong one is a 400 that names it. Fields this server does not act on
 * ({@code presence_penalty}, {@code user}, ...) are ignored, as OpenAI-compatible servers do, except
 * {@code n}: asking for several choices and getting one would silently lose answers.
 *
 * @param promptIds    the prompt's tokens: for chat, the messages rendered with the model's chat
 *                     template and its generation prompt
 * @param includeUsage stream a last chunk with {@code usage} ({@code stream_options.include_usage})
 */
record CompletionRequest(boolean chat, long[] promptIds, GenerationParams params, boolean stream,
                         boolean includeUsage) {

    /** OpenAI's limit on stop sequences. */
    static final int MAX_STOP = 4;

    static CompletionRequest parse(JsonNode body, boolean chat, HfTokenizer tokenizer, int contextLength) {
        if (body == null || !body.isObject()) {
            throw ApiError.invalid(null, "the request body must be a JSON object");
        }
        String promptField = chat ? "messages" : "prompt";
        long[] promptIds = chat ? chatPrompt(body.get("messages"), tokenizer) : textPrompt(body.get("prompt"), tokenizer);
        if (promptIds.length == 0) {
            throw ApiError.invalid(promptField, promptField + ": the prompt has no tokens");
        }
        if (promptIds.length >= contextLength) {
            throw ApiError.invalid(promptField, "the prompt is " + promptIds.length + " tokens; the model's "
                    + "context is " + contextLength + ", which must also hold at least one new token",
                    "context_length_exceeded");
        }
        Integer n = integer(body, "n", 1);
        if (n != null && n != 1) {
            throw ApiError.invalid("n", "n: only 1 choice per request is supported, got " + n);
        }
        String maxField = chat && present(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        Integer maxTokens = integer(body, maxField, 1);
        double temperature = number(body, "temperature", 1.0, 0, false, 2);
        double topP = number(body, "top_p", 1.0, 0, true, 1);
        Integer topK = integer(body, "top_k", -1);
        Long seed = present(body, "seed") ? longValue(body, "seed") : null;
        List<String> stop = stop(body.get("stop"));
        boolean stream = bool(body, "stream", false);
        JsonNode options = body.get("stream_options");
        boolean includeUsage = options != null && options.isObject() && options.path("include_usage").asBoolean(false);
        GenerationParams params = new GenerationParams(maxTokens == null ? contextLength : maxTokens, temperature,
                topP, topK == null || topK <= 0 ? null : topK, seed, stop);
        return new CompletionRequest(chat, promptIds, params, stream, includeUsage);
    }

    private static long[] chatPrompt(JsonNode messages, HfTokenizer tokenizer) {
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiError.invalid("messages", "messages: required, a non-empty array of {role, content}");
        }
        List<ChatMessage> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                throw ApiError.invalid(at, at + ": must be an object {role, content}, got " + m);
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || role.asText().isEmpty()) {
                throw ApiError.invalid(at + ".role", at + ".role: required, a string such as \"user\"");
            }
            turns.add(new ChatMessage(role.asText(), content(m.get("content"), at + ".content")));
        }
        try {
            return tokenizer.encodeChat(turns, true);
        } catch (ChatTemplateException e) {
            throw ApiError.invalid("messages", "messages: the chat template cannot render them: " + e.getMessage());
        }
    }

    /** A string, or OpenAI's list of content parts of which only {@code text} parts are understood. */
    private static String content(JsonNode content, String at) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < content.size(); i++) {
                JsonNode part = content.get(i);
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiError.invalid(at, at + "[" + i + "]: only {\"type\": \"text\", \"text\": ...} parts "
                            + "are supported");
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw ApiError.invalid(at, at + ": must be a string or a list of text parts");
    }

    private static long[] textPrompt(JsonNode prompt, HfTokenizer tokenizer) {
        JsonNode text = prompt;
        if (prompt != null && prompt.isArray() && prompt.size() == 1) {
            text = prompt.get(0);
        }
        if (text == null || !text.isTextual()) {
            throw ApiError.invalid("prompt", "prompt: required, a string (or a list of exactly one string)");
        }
        return tokenizer.encode(text.asText(), true);
    }

    private static List<String> stop(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isTextual() && !stop.asText().isEmpty()) {
            return List.of(stop.asText());
        }
        if (stop.isArray() && stop.size() <= MAX_STOP) {
            List<String> out = new ArrayList<>();
            for (JsonNode s : stop) {
                if (!s.isTextual() || s.asText().isEmpty()) {
                    throw ApiError.invalid("stop", "stop: every entry must be a non-empty string, got " + s);
                }
                out.add(s.asText());
            }
            return out;
        }
        throw ApiError.invalid("stop", "stop: must be a non-empty string or a list of at most " + MAX_STOP
                + " of them, got " + stop);
    }

    private static boolean present(JsonNode body, String field) {
        return body.has(field) && !body.get(field).isNull();
    }

    /** An integer of at least {@code min}, or null when absent. */
    private static Integer integer(JsonNode body, String field, int min) {
        if (!present(body, field)) {
            return null;
        }
        JsonNode v = body.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min) {
            throw ApiError.invalid(field, field + ": must be an integer >= " + min + ", got " + v);
        }
        return v.asInt();
    }

    private static long longValue(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiError.invalid(field, field + ": must be an integer, got " + v);
        }
        return v.asLong();
    }

    private static double number(JsonNode body, String field, double fallback, double min, boolean minExclusive,
                                 double max) {
        if (!present(body, field)) {
            return fallback;
        }
        JsonNode v = body.get(field);
        double d = v.asDouble();
        if (!v.isNumber() || (minExclusive ? d <= min : d < min) || d > max) {
            throw ApiError.invalid(field, field + ": must be a number " + (minExclusive ? "> " : ">= ") + min
                    + " and <= " + max + ", got " + v);
        }
        return d;
    }

    private static boolean bool(JsonNode body, String field, boolean fallback) {
        if (!present(body, field)) {
            return fallback;
        }
        JsonNode v = body.get(field);
        if (!v.isBoolean()) {
            throw ApiError.invalid(field, field + ": must be true or false, got " + v);
        }
        return v.asBoolean();
    }
}
