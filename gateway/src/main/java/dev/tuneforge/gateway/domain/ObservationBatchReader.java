package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.gateway.config.ObservationsConfig;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Reads the body of {@code POST /api/v1/models/{name}/observations}, {@code {"observations": [...]}}, checking every
 * observation and naming every problem with its path ({@code observations[3].messages[0].role: ...}), so that one
 * answer lists them all. An observation:
 * <pre>
 * {"id": "1-200 characters, unique in the batch", "version": n (a version of the model),
 *  "messages": [{"role": "system|developer|user|assistant|tool", "content": "text"}, ...] (1 to max-messages),
 *  "completion": "text", "time": "ISO-8601 with offset" (optional, default now; not after now + max-clock-skew),
 *  "latency_ms", "prompt_tokens", "completion_tokens": integers >= 0 (optional)}
 * </pre>
 * Texts are at most {@code max-text-chars} characters; any other field is refused (a misspelt one would be lost).
 * Whether a version exists is the caller's question ({@code versionExists}), asked once per version.
 */
public final class ObservationBatchReader {

    /** The observations, or every problem found; never both. */
    public record Result(List<Observation> observations, List<String> errors) {
    }

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    private static final Set<String> FIELDS = Set.of("id", "version", "messages", "completion", "time", "latency_ms",
            "prompt_tokens", "completion_tokens");
    private static final int MAX_ID_CHARS = 200;

    private final ObservationsConfig config;

    public ObservationBatchReader(ObservationsConfig config) {
        this.config = config;
    }

    public Result read(JsonNode body, String model, Instant now, IntPredicate versionExists) {
        List<String> errors = new ArrayList<>();
        if (body == null || !body.isObject()) {
            return new Result(List.of(), List.of("the body must be a JSON object {\"observations\": [...]}"));
        }
        body.fieldNames().forEachRemaining(field -> {
            if (!field.equals("observations")) {
                errors.add(field + ": unknown field; the body is {\"observations\": [...]}");
            }
        });
        JsonNode items = body.get("observations");
        if (items == null || !items.isArray() || items.isEmpty()) {
            errors.add("observations: must be a non-empty array");
            return new Result(List.of(), errors);
        }
        if (items.size() > config.maxBatch()) {
            errors.add("observations: at most " + config.maxBatch() + " in one request, got " + items.size()
                    + "; send them in several");
            return new Result(List.of(), errors);
        }
        List<Observation> observations = new ArrayList<>();
        Map<String, Integer> firstOfId = new HashMap<>();
        Map<Integer, Boolean> versions = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            String at = "observations[" + i + "]";
            JsonNode item = items.get(i);
            if (!item.isObject()) {
                errors.add(at + ": must be an object");
                continue;
            }
            int before = errors.size();
            item.fieldNames().forEachRemaining(field -> {
                if (!FIELDS.contains(field)) {
                    errors.add(at + "." + field + ": unknown field");
                }
            });
            String id = text(item, "id", at, MAX_ID_CHARS, errors);
            if (id != null) {
                Integer first = firstOfId.putIfAbsent(id, i);
                if (first != null) {
                    errors.add(at + ".id: '" + id + "' is also the id of observations[" + first + "]");
                }
            }
            Integer version = null;
            JsonNode v = item.get("version");
            if (v == null || v.isNull()) {
                errors.add(at + ".version: missing; the version of '" + model + "' that served it");
            } else if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 1) {
                errors.add(at + ".version: must be a version number (an integer >= 1), was " + v);
            } else {
                version = v.intValue();
                if (!versions.computeIfAbsent(version, versionExists::test)) {
                    errors.add(at + ".version: model '" + model + "' has no version " + version);
                }
            }
            List<Observation.Message> messages = messages(item.get("messages"), at + ".messages", errors);
            String completion = text(item, "completion", at, config.maxTextChars(), errors);
            Instant time = time(item.get("time"), at + ".time", now, errors);
            Long latency = count(item.get("latency_ms"), at + ".latency_ms", errors);
            Long promptTokens = count(item.get("prompt_tokens"), at + ".prompt_tokens", errors);
            Long completionTokens = count(item.get("completion_tokens"), at + ".completion_tokens", errors);
            if (errors.size() == before) {
                observations.add(new Observation(id, time, model, version, Observation.Source.EXTERNAL, messages,
                        completion, latency, toInt(promptTokens), toInt(completionTokens)));
            }
        }
        return errors.isEmpty() ? new Result(observations, List.of()) : new Result(List.of(), errors);
    }

    private List<Observation.Message> messages(JsonNode node, String at, List<String> errors) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            errors.add(at + ": must be a non-empty array of {\"role\", \"content\"}");
            return List.of();
        }
        if (node.size() > config.maxMessages()) {
            errors.add(at + ": at most " + config.maxMessages() + " messages, got " + node.size());
            return List.of();
        }
        List<Observation.Message> messages = new ArrayList<>();
        for (int j = 0; j < node.size(); j++) {
            String here = at + "[" + j + "]";
            JsonNode message = node.get(j);
            if (!message.isObject()) {
                errors.add(here + ": must be an object {\"role\", \"content\"}");
                continue;
            }
            message.fieldNames().forEachRemaining(field -> {
                if (!field.equals("role") && !field.equals("content")) {
                    errors.add(here + "." + field + ": unknown field");
                }
            });
            String role = text(message, "role", here, 32, errors);
            if (role != null && !ROLES.contains(role)) {
                errors.add(here + ".role: must be one of system, developer, user, assistant, tool; was '" + role
                        + "'");
            }
            String content = text(message, "content", here, config.maxTextChars(), errors);
            messages.add(new Observation.Message(role, content));
        }
        return messages;
    }

    /** A required string field of at most {@code max} characters; null (and an error) otherwise. */
    private static String text(JsonNode parent, String field, String at, int max, List<String> errors) {
        JsonNode node = parent.get(field);
        String path = at + "." + field;
        if (node == null || node.isNull()) {
            errors.add(path + ": missing");
            return null;
        }
        if (!node.isTextual()) {
            errors.add(path + ": must be a string, was " + node.getNodeType().name().toLowerCase());
            return null;
        }
        String value = node.textValue();
        if (field.equals("id") && value.isEmpty()) {
            errors.add(path + ": must not be empty");
            return null;
        }
        if (value.length() > max) {
            errors.add(path + ": at most " + max + " characters, got " + value.length());
            return null;
        }
        if (field.equals("id") && value.indexOf('\u0000') >= 0) {
            errors.add(path + ": must not contain the character NUL");
            return null;
        }
        return value;
    }

    private Instant time(JsonNode node, String at, Instant now, List<String> errors) {
        if (node == null || node.isNull()) {
            return now;
        }
        if (!node.isTextual()) {
            errors.add(at + ": must be an ISO-8601 time with an offset, e.g. 2026-01-31T12:00:00Z");
            return null;
        }
        Instant time;
        try {
            time = OffsetDateTime.parse(node.textValue()).toInstant();
        } catch (DateTimeParseException e) {
            errors.add(at + ": must be an ISO-8601 time with an offset, e.g. 2026-01-31T12:00:00Z; was '"
                    + node.textValue() + "'");
            return null;
        }
        Duration skew = config.maxClockSkew();
        if (time.isAfter(now.plus(skew))) {
            errors.add(at + ": " + node.textValue() + " is in the future (more than " + skew.toSeconds()
                    + " s after the gateway's clock, " + now + ")");
            return null;
        }
        return time;
    }

    private static Long count(JsonNode node, String at, List<String> errors) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 0) {
            errors.add(at + ": must be an integer >= 0, was " + node);
            return null;
        }
        return node.longValue();
    }

    private static Integer toInt(Long value) {
        return value == null ? null : value.intValue();
    }
}
