package dev.tuneforge.worker.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.worker.protocol.DataFormat;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a JSONL data file into {@link Example}s, failing on the first bad line with its number. */
public final class DatasetReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DatasetReader() {
    }

    public static List<Example> read(Path file, DataFormat format) {
        List<Example> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String where = file.getFileName() + " line " + number;
                JsonNode json;
                try {
                    json = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new DataException(where + ": not JSON: " + e.getOriginalMessage());
                }
                if (!json.isObject()) {
                    throw new DataException(where + ": must be a JSON object");
                }
                out.add(parse(json, format, where));
            }
        } catch (IOException e) {
            throw new DataException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new DataException(file.getFileName() + ": no examples");
        }
        return out;
    }

    static Example parse(JsonNode json, DataFormat format, String where) {
        return switch (format) {
            case CHAT -> chat(json, where);
            case COMPLETION -> new Example.Completion(text(json, "prompt", where), text(json, "completion", where));
            case ALPACA -> alpaca(json, where);
            case PREFERENCE -> preference(json, where);
        };
    }

    private static Example chat(JsonNode json, String where) {
        JsonNode messages = json.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new DataException(where + ": messages: must be a non-empty array");
        }
        List<Example.Turn> turns = new ArrayList<>();
        boolean anyTrained = false;
        for (int i = 0; i < messages.size(); i++) {
            String at = where + ": messages[" + i + "]";
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                throw new DataException(at + ": must be an object");
            }
            String role = text(m, "role", at);
            String content = text(m, "content", at);
            boolean trained = false;
            if (role.equals("assistant")) {
                JsonNode weight = m.get("weight");
                if (weight != null && !(weight.isInt() && (weight.asInt() == 0 || weight.asInt() == 1))) {
                    throw new DataException(at + ".weight: must be 0 or 1, got " + weight);
                }
                trained = weight == null || weight.asInt() == 1;
            } else if (m.has("weight")) {
                throw new DataException(at + ".weight: only assistant messages carry a weight");
            }
            anyTrained |= trained;
            turns.add(new Example.Turn(new ChatMessage(role, content), trained));
        }
        if (!anyTrained) {
            throw new DataException(where + ": messages: no assistant message with weight 1 to learn from");
        }
        return new Example.Chat(turns);
    }

    /**
     * A DPO pair in either shape: dataset-service's {@code {"messages": [..., chosen assistant turn], "rejected"}},
     * or {@code {"prompt", "chosen", "rejected", "system"?}} read as an optional system turn and a user turn.
     */
    private static Example preference(JsonNode json, String where) {
        if (!json.has("messages")) {
            List<ChatMessage> prompt = new ArrayList<>();
            if (json.hasNonNull("system")) {
                prompt.add(ChatMessage.system(text(json, "system", where)));
            }
            prompt.add(ChatMessage.user(text(json, "prompt", where)));
            String chosen = text(json, "chosen", where);
            return new Example.Preference(prompt, chosen, text(json, "rejected", where));
        }
        List<ChatMessage> messages = ((Example.Chat) chat(json, where)).messages();
        ChatMessage answer = messages.getLast();
        if (!answer.role().equals("assistant")) {
            throw new DataException(where + ": messages[" + (messages.size() - 1) + "]: the last message must be "
                    + "the chosen assistant answer, got role \"" + answer.role() + "\"");
        }
        if (messages.size() == 1) {
            throw new DataException(where + ": messages: needs the prompt before the chosen answer");
        }
        return new Example.Preference(messages.subList(0, messages.size() - 1), answer.content(),
                text(json, "rejected", where));
    }

    /** Alpaca's fields as one user turn (instruction, then the input after a blank line) and the answer. */
    private static Example alpaca(JsonNode json, String where) {
        String instruction = text(json, "instruction", where);
        String input = json.hasNonNull("input") ? text(json, "input", where) : "";
        String user = input.isBlank() ? instruction : instruction + "\n\n" + input;
        return new Example.Chat(List.of(
                new Example.Turn(ChatMessage.user(user), false),
                new Example.Turn(ChatMessage.assistant(text(json, "output", where)), true)));
    }

    private static String text(JsonNode json, String field, String where) {
        JsonNode v = json.get(field);
        if (v == null || !v.isTextual()) {
            throw new DataException(where + ": " + field + ": must be a string");
        }
        return v.asText();
    }
}
