package dev.tuneforge.worker.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads the fields of one JSON object of a spec, collecting every problem with its path
 * ({@code hyperparameters.learning_rate: must be > 0, got -1}) instead of stopping at the first, and
 * flagging fields it does not know, so a misspelt option is an error rather than silently ignored.
 */
final class JsonFields {

    private final JsonNode node;
    private final String path;
    private final List<String> problems;
    private final Set<String> known;

    JsonFields(JsonNode node, String path, List<String> problems, Set<String> known) {
        this.node = node;
        this.path = path;
        this.problems = problems;
        this.known = known;
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                problems.add(at(name) + ": unknown field; known: " + known.stream().sorted().toList());
            }
        }
    }

    /** The fields of {@code parent.name}, or null (with a problem if required) when absent or not an object. */
    JsonFields object(String name, boolean required, Set<String> fields) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            if (required) {
                problems.add(at(name) + ": required");
            }
            return null;
        }
        if (!v.isObject()) {
            problems.add(at(name) + ": must be an object");
            return null;
        }
        return new JsonFields(v, at(name), problems, fields);
    }

    String at(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    boolean has(String name) {
        JsonNode v = node.get(name);
        return v != null && !v.isNull();
    }

    /** Present with the value {@code null}: for a field whose null means something other than its default. */
    boolean isNull(String name) {
        JsonNode v = node.get(name);
        return v != null && v.isNull();
    }

    JsonNode raw(String name) {
        return node.get(name);
    }

    String string(String name, String fallback, boolean required) {
        if (!has(name)) {
            if (required) {
                problems.add(at(name) + ": required");
            }
            return fallback;
        }
        JsonNode v = node.get(name);
        if (!v.isTextual() || v.asText().isEmpty()) {
            problems.add(at(name) + ": must be a non-empty string, got " + v);
            return fallback;
        }
        return v.asText();
    }

    String oneOf(String name, String fallback, Set<String> allowed) {
        String v = string(name, fallback, false);
        if (v != null && !allowed.contains(v)) {
            problems.add(at(name) + ": must be one of " + allowed.stream().sorted().toList() + ", got \"" + v + "\"");
            return fallback;
        }
        return v;
    }

    /** An integer of at least {@code min}, or {@code fallback} (which may be null) when absent. */
    Integer integer(String name, Integer fallback, long min) {
        if (!has(name)) {
            return fallback;
        }
        JsonNode v = node.get(name);
        if (!v.canConvertToLong() || !v.isIntegralNumber()) {
            problems.add(at(name) + ": must be an integer, got " + v);
            return fallback;
        }
        if (v.asLong() < min || v.asLong() > Integer.MAX_VALUE) {
            problems.add(at(name) + ": must be >= " + min + ", got " + v);
            return fallback;
        }
        return v.asInt();
    }

    long longValue(String name, long fallback) {
        if (!has(name)) {
            return fallback;
        }
        JsonNode v = node.get(name);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            problems.add(at(name) + ": must be an integer, got " + v);
            return fallback;
        }
        return v.asLong();
    }

    /** A number in {@code [min, max]}, or above {@code min} when {@code minExclusive}. */
    double number(String name, double fallback, double min, boolean minExclusive, double max) {
        if (!has(name)) {
            return fallback;
        }
        JsonNode v = node.get(name);
        if (!v.isNumber()) {
            problems.add(at(name) + ": must be a number, got " + v);
            return fallback;
        }
        double d = v.asDouble();
        boolean low = minExclusive ? d <= min : d < min;
        if (low || d > max) {
            problems.add(at(name) + ": must be " + (minExclusive ? "> " : ">= ") + min
                    + (max < Double.MAX_VALUE ? " and <= " + max : "") + ", got " + v);
            return fallback;
        }
        return d;
    }

    boolean bool(String name, boolean fallback) {
        if (!has(name)) {
            return fallback;
        }
        JsonNode v = node.get(name);
        if (!v.isBoolean()) {
            problems.add(at(name) + ": must be true or false, got " + v);
            return fallback;
        }
        return v.asBoolean();
    }

    /** Non-empty array of non-empty strings. */
    List<String> strings(String name, List<String> fallback) {
        if (!has(name)) {
            return fallback;
        }
        JsonNode v = node.get(name);
        if (!v.isArray() || v.isEmpty()) {
            problems.add(at(name) + ": must be a non-empty array of strings, got " + v);
            return fallback;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            if (!item.isTextual() || item.asText().isEmpty()) {
                problems.add(at(name) + "[" + i + "]: must be a non-empty string, got " + item);
            } else {
                out.add(item.asText());
            }
        }
        return out;
    }

    void problem(String name, String message) {
        problems.add(at(name) + ": " + message);
    }
}
