package dev.tuneforge.trainer.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A drifted window's prompts as a chat dataset for people to correct: one example per observation with text, its
 * conversation (system, user and earlier assistant turns; a {@code developer} turn as {@code system}; tool turns
 * left out, the chat format has no such role) followed by the served completion as the assistant's draft answer.
 *
 * <p>The JSONL goes to {@code key} as an upload (dataset-service validates it like any other); the key is the
 * caller's, derived from the pipeline and the event, so a redelivery after a rollback overwrites the same object
 * instead of leaving a second one. Observation lines without {@code messages} or {@code completion} (a project with
 * {@code raw_text=false}) are skipped; a window with none left exports nothing. Lines are streamed through a
 * temporary file, so a window of any size costs one line of memory.
 */
@ApplicationScoped
public class ReviewExport {

    /** The upload written: its key, digest, size and examples. */
    public record Written(String key, String sha256, long sizeBytes, long examples) {
    }

    private static final Set<String> KEPT_ROLES = Set.of("system", "user", "assistant");

    private final ObjectStore store;

    public ReviewExport(ObjectStore store) {
        this.store = store;
    }

    /** Writes the prompts of {@code observationKeys} to {@code key}; empty when no observation has text. */
    public Optional<Written> write(List<String> observationKeys, String key) {
        Path file = null;
        try {
            file = Files.createTempFile("tuneforge-review-", ".jsonl");
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long examples = 0;
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), sha)) {
                for (String observations : observationKeys == null ? List.<String>of() : observationKeys) {
                    examples += copyPrompts(observations, out);
                }
            }
            if (examples == 0) {
                return Optional.empty();
            }
            long size = Files.size(file);
            try (InputStream in = Files.newInputStream(file)) {
                store.put(key, in, size, "application/jsonl");
            }
            return Optional.of(new Written(key, HexFormat.of().formatHex(sha.digest()), size, examples));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export the review dataset " + key, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file; the JVM's temp directory is cleaned with the pod
                }
            }
        }
    }

    private long copyPrompts(String observationsKey, OutputStream out) throws IOException {
        long examples = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(store.get(observationsKey),
                StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                Optional<ObjectNode> example = example(EventCodec.mapper().readTree(line));
                if (example.isPresent()) {
                    out.write(EventCodec.mapper().writeValueAsBytes(example.get()));
                    out.write('\n');
                    examples++;
                }
            }
        }
        return examples;
    }

    /** The review example of one observation line, or empty for a line without text. */
    static Optional<ObjectNode> example(JsonNode observation) {
        JsonNode messages = observation.get("messages");
        JsonNode completion = observation.get("completion");
        if (messages == null || !messages.isArray() || completion == null || !completion.isTextual()) {
            return Optional.empty();
        }
        ObjectNode example = EventCodec.mapper().createObjectNode();
        ArrayNode turns = example.putArray("messages");
        for (JsonNode message : messages) {
            String role = message.path("role").asText();
            String kept = "developer".equals(role) ? "system" : role;
            if (KEPT_ROLES.contains(kept) && message.path("content").isTextual()) {
                turns.addObject().put("role", kept).put("content", message.get("content").asText());
            }
        }
        if (turns.isEmpty()) {
            return Optional.empty();
        }
        turns.addObject().put("role", "assistant").put("content", completion.asText());
        return Optional.of(example);
    }
}
