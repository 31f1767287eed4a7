package dev.tuneforge.eval.drift;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.tuneforge.drift.HashedNgrams;
import dev.tuneforge.drift.SparseEmbeddings;
import dev.tuneforge.events.MalformedEventException;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.tokenizer.ChatMessage;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an observation object ({@code ObservationsReceived.objectKey}) line by line, strictly: a line drift cannot
 * read, an object outside its event's project, or a count other than the event's makes the whole batch malformed
 * ({@link MalformedEventException}, naming the object and the line), so it is dead-lettered before any of it joins a
 * window.
 */
@ApplicationScoped
public class ObservationObjects {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    private final ObjectStore objects;

    public ObservationObjects(ObjectStore objects) {
        this.objects = objects;
    }

    /** The lines of a batch of {@code projectId}, checked against the {@code count} its event carries. */
    public List<ObservedLine> read(String projectId, String objectKey, long count) {
        if (objectKey == null || !objectKey.startsWith("projects/" + projectId + "/observations/")) {
            throw new MalformedEventException("observation object " + objectKey + " is not under projects/"
                    + projectId + "/observations/");
        }
        List<ObservedLine> lines = new ArrayList<>();
        try (InputStream in = objects.get(objectKey);
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String text;
            int number = 0;
            while ((text = reader.readLine()) != null) {
                number++;
                if (!text.isBlank()) {
                    lines.add(line(text, objectKey, number));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read observation object " + objectKey, e);
        }
        if (lines.size() != count) {
            throw new MalformedEventException("observation object " + objectKey + " has " + lines.size()
                    + " observations, its ObservationsReceived says " + count);
        }
        return lines;
    }

    private static ObservedLine line(String text, String objectKey, int number) {
        String where = "observation object " + objectKey + " line " + number + ": ";
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new MalformedEventException(where + "not a JSON object (" + e.getOriginalMessage() + ")");
        }
        if (node == null || !node.isObject()) {
            throw new MalformedEventException(where + "not a JSON object");
        }
        Instant time;
        try {
            time = Instant.parse(node.path("time").asText(""));
        } catch (DateTimeParseException e) {
            throw new MalformedEventException(where + "time: not an ISO-8601 instant (" + node.get("time") + ")");
        }
        JsonNode features = node.path("features");
        if (!features.isObject() || !features.path("completion_json_valid").isBoolean()) {
            throw new MalformedEventException(where + "features.completion_json_valid: missing or not a boolean");
        }
        boolean hasMessages = node.has("messages");
        if (hasMessages != node.has("completion")) {
            throw new MalformedEventException(where + "messages and completion: both or neither");
        }
        List<ChatMessage> messages = null;
        String completion = null;
        if (hasMessages) {
            if (!node.get("messages").isArray()) {
                throw new MalformedEventException(where + "messages: not an array");
            }
            messages = new ArrayList<>();
            int i = 0;
            for (JsonNode m : node.get("messages")) {
                if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                    throw new MalformedEventException(where + "messages[" + i + "]: needs a string role and content");
                }
                messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
                i++;
            }
            if (!node.get("completion").isTextual()) {
                throw new MalformedEventException(where + "completion: not a string");
            }
            completion = node.get("completion").asText();
        }
        return new ObservedLine(time, messages, completion, count(node, "prompt_tokens", where),
                count(node, "completion_tokens", where), features.get("completion_json_valid").asBoolean(),
                embedding(features.path("prompt_embedding"), where));
    }

    /** {@code features.prompt_embedding} ({@link SparseEmbeddings}) as a dense vector; null when absent. */
    private static double[] embedding(JsonNode sparse, String where) {
        if (sparse.isMissingNode() || sparse.isNull()) {
            return null;
        }
        double[] dense;
        try {
            dense = SparseEmbeddings.read(sparse);
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException(where + "features.prompt_embedding: " + e.getMessage());
        }
        if (dense.length != HashedNgrams.DEFAULT_DIMENSIONS) {
            throw new MalformedEventException(where + "features.prompt_embedding: " + dense.length
                    + " dimensions, not " + HashedNgrams.DEFAULT_DIMENSIONS);
        }
        return dense;
    }

    private static Integer count(JsonNode node, String field, String where) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return null;
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 0) {
            throw new MalformedEventException(where + field + ": not a whole number >= 0 (" + value + ")");
        }
        return value.asInt();
    }
}
