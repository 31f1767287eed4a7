package dev.tuneforge.dataset.validation;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks one JSON object against its format and normalises it to an {@link Example}. Every problem
 * found goes to the {@link ReportBuilder} with the line number; an example with an error is not returned.
 */
final class ExampleParser {

    private static final Set<String> ROLES = Set.of(Message.SYSTEM, Message.USER, Message.ASSISTANT);
    private static final Set<String> MESSAGE_KEYS = Set.of("role", "content", "weight", "name");

    private ExampleParser() {
    }

    /** @return the example, or null if the object has errors (already reported) */
    static Example parse(DatasetFormat format, JsonNode object, long line, ReportBuilder report) {
        Iterator<String> keys = object.fieldNames();
        while (keys.hasNext()) {
            String key = keys.next();
            if (!format.knows(key) && !key.equals("weight")) {
                report.add(Check.UNRECOGNIZED_KEY, line);
            }
        }
        Example example = switch (format) {
            case CHAT -> chat(object, line, report);
            case ALPACA -> alpaca(object, line, report);
            case COMPLETION -> completion(object, line, report);
            case PREFERENCE -> preference(object, line, report);
        };
        if (example != null && holdsUnpairedSurrogate(example)) {
            report.add(Check.UNPAIRED_SURROGATE, line);
            return null;
        }
        return example;
    }

    /**
     * JSON may escape half of a UTF-16 surrogate pair alone (U+D800 as an escape); that is no character, and
     * writing the example as UTF-8 would silently turn it into '?': what is stored and hashed would not be what
     * was sent.
     */
    private static boolean holdsUnpairedSurrogate(Example example) {
        for (Message message : example.messages()) {
            if (unpairedSurrogate(message.content())) {
                return true;
            }
        }
        return example.rejected() != null && unpairedSurrogate(example.rejected());
    }

    private static boolean unpairedSurrogate(String text) {
        return text.codePoints().anyMatch(c -> c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE);
    }

    private static Example chat(JsonNode object, long line, ReportBuilder report) {
        JsonNode messages = object.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            report.add(Check.MISSING_MESSAGES, line);
            return null;
        }
        int errorsBefore = report.errorCount();
        List<Message> normalised = messages(messages, line, report);
        if (normalised.stream().noneMatch(m -> m.role().equals(Message.ASSISTANT))
                && report.errorCount() == errorsBefore) {
            report.add(Check.NO_ASSISTANT_MESSAGE, line);
        }
        return report.errorCount() == errorsBefore ? new Example(line, List.copyOf(normalised), null) : null;
    }

    /** A chat's messages, each checked; those with an error are reported and left out. */
    private static List<Message> messages(JsonNode messages, long line, ReportBuilder report) {
        List<Message> normalised = new ArrayList<>();
        for (JsonNode message : messages) {
            if (!message.isObject()) {
                report.add(Check.MESSAGE_NOT_AN_OBJECT, line);
                continue;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = message.fields(); it.hasNext(); ) {
                if (!MESSAGE_KEYS.contains(it.next().getKey())) {
                    report.add(Check.MESSAGE_UNRECOGNIZED_KEY, line);
                }
            }
            if (!message.has("role") || !message.has("content")) {
                report.add(Check.MESSAGE_MISSING_KEY, line);
                continue;
            }
            String role = message.get("role").asText();
            if (!ROLES.contains(role)) {
                report.add(Check.UNRECOGNIZED_ROLE, line);
                continue;
            }
            JsonNode content = message.get("content");
            if (!content.isTextual() || content.asText().isBlank()) {
                report.add(Check.MISSING_CONTENT, line);
                continue;
            }
            Integer weight = weight(message, role, line, report);
            if (weight == null) {
                continue;
            }
            normalised.add(new Message(role, content.asText(), weight));
        }
        return normalised;
    }

    /** OpenAI's rule: an optional 0/1 weight on assistant messages; assistants default to 1, others 0. */
    private static Integer weight(JsonNode message, String role, long line, ReportBuilder report) {
        boolean assistant = role.equals(Message.ASSISTANT);
        JsonNode weight = message.get("weight");
        if (weight == null) {
            return assistant ? 1 : 0;
        }
        if (!assistant || !weight.isInt() || (weight.intValue() != 0 && weight.intValue() != 1)) {
            report.add(Check.INVALID_WEIGHT, line);
            return null;
        }
        return weight.intValue();
    }

    private static Example alpaca(JsonNode object, long line, ReportBuilder report) {
        String instruction = requiredText(object, "instruction", line, report);
        String output = learnedText(object, "output", line, report);
        String input = optionalText(object, "input");
        String system = optionalText(object, "system");
        if (instruction == null || output == null) {
            return null;
        }
        String prompt = input == null || input.isBlank() ? instruction : instruction + "\n\n" + input;
        return new Example(line, withSystem(system, prompt, output), null);
    }

    private static Example completion(JsonNode object, long line, ReportBuilder report) {
        String prompt = requiredText(object, "prompt", line, report);
        String completion = learnedText(object, "completion", line, report);
        if (prompt == null || completion == null) {
            return null;
        }
        return new Example(line, withSystem(null, prompt, completion), null);
    }

    private static Example preference(JsonNode object, long line, ReportBuilder report) {
        if (DatasetFormat.OpenAiPreference.shapes(object)) {
            return openAiPreference(object, line, report);
        }
        String prompt = requiredText(object, "prompt", line, report);
        String chosen = learnedText(object, "chosen", line, report);
        String rejected = learnedText(object, "rejected", line, report);
        if (prompt == null || chosen == null || rejected == null) {
            return null;
        }
        return new Example(line, withSystem(optionalText(object, "system"), prompt, chosen), rejected);
    }

    /**
     * OpenAI's DPO format: {@code input.messages} is the prompt (its assistant turns are context, not learned), each
     * output a list of one assistant message. The same example as {@code {"prompt", "chosen", "rejected"}} gives for a
     * prompt of one user turn.
     */
    private static Example openAiPreference(JsonNode object, long line, ReportBuilder report) {
        int errorsBefore = report.errorCount();
        JsonNode input = object.get(DatasetFormat.OpenAiPreference.INPUT);
        List<Message> prompt = new ArrayList<>();
        if (input == null || !input.isObject() || !input.path("messages").isArray()
                || input.path("messages").isEmpty()) {
            report.add(Check.INVALID_PREFERENCE_INPUT, line);
        } else {
            for (Iterator<String> keys = input.fieldNames(); keys.hasNext(); ) {
                if (!DatasetFormat.CHAT.knows(keys.next())) {
                    report.add(Check.UNRECOGNIZED_KEY, line);
                }
            }
            for (Message message : messages(input.get("messages"), line, report)) {
                prompt.add(new Message(message.role(), message.content(), 0));
            }
        }
        String chosen = onlyAnswer(object, DatasetFormat.OpenAiPreference.PREFERRED, line, report);
        String rejected = onlyAnswer(object, DatasetFormat.OpenAiPreference.NON_PREFERRED, line, report);
        if (report.errorCount() != errorsBefore) {
            return null;
        }
        prompt.add(new Message(Message.ASSISTANT, chosen, 1));
        return new Example(line, List.copyOf(prompt), rejected);
    }

    /** The text of an output that is a list of exactly one assistant message; null (reported) otherwise. */
    private static String onlyAnswer(JsonNode object, String field, long line, ReportBuilder report) {
        JsonNode output = object.get(field);
        JsonNode message = output != null && output.isArray() && output.size() == 1 ? output.get(0) : null;
        if (message == null || !message.isObject() || !Message.ASSISTANT.equals(message.path("role").asText(null))
                || !message.path("content").isTextual()) {
            report.add(Check.INVALID_PREFERENCE_OUTPUT, line);
            return null;
        }
        for (Iterator<String> keys = message.fieldNames(); keys.hasNext(); ) {
            if (!MESSAGE_KEYS.contains(keys.next())) {
                report.add(Check.MESSAGE_UNRECOGNIZED_KEY, line);
            }
        }
        String text = message.get("content").asText();
        if (text.isBlank()) {
            report.add(Check.EMPTY_OUTPUT, line);
            return null;
        }
        return text;
    }

    private static List<Message> withSystem(String system, String user, String assistant) {
        List<Message> messages = new ArrayList<>(3);
        if (system != null && !system.isBlank()) {
            messages.add(new Message(Message.SYSTEM, system, 0));
        }
        messages.add(new Message(Message.USER, user, 0));
        messages.add(new Message(Message.ASSISTANT, assistant, 1));
        return List.copyOf(messages);
    }

    private static String requiredText(JsonNode object, String field, long line, ReportBuilder report) {
        JsonNode value = object.get(field);
        if (value == null || !value.isTextual()) {
            report.add(Check.MISSING_FIELD, line);
            return null;
        }
        return value.asText();
    }

    /** The text the model learns: present, text, and not blank. */
    private static String learnedText(JsonNode object, String field, long line, ReportBuilder report) {
        String text = requiredText(object, field, line, report);
        if (text != null && text.isBlank()) {
            report.add(Check.EMPTY_OUTPUT, line);
            return null;
        }
        return text;
    }

    private static String optionalText(JsonNode object, String field) {
        JsonNode value = object.get(field);
        return value == null || !value.isTextual() ? null : value.asText();
    }
}
