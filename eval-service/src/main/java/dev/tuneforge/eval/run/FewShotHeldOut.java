package dev.tuneforge.eval.run;

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
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * The held-out file as the few-shot baseline sees it: each example's conversation preceded by k examples of the
 * dataset version's training split, as earlier user and assistant turns (a preference pair's shot is its prompt and
 * chosen answer), after the example's own system turns. The worker is asked nothing new: it evaluates whatever
 * conversations it is given, and its loss and generation cover the example's own last assistant turn only, because
 * every shot's assistant turn carries {@code "weight": 0} (docs/WORKER_PROTOCOL.md, what is learned).
 *
 * <p>Invariants: the shots come from the training split only, and never a training line that is also a line of the
 * held-out file; the choice is fixed — the k lines with the smallest SHA-256 of their text — so one dataset version
 * and k always give the same file, and the cached results of the subject stay valid; every held-out example gets the
 * same shots, so the subject's results compare with the base model's example by example. A shot's system turns and
 * other fields (a pair's rejected answer) are left out: they are not part of what it shows.
 */
@ApplicationScoped
public class FewShotHeldOut {

    /** The few-shot held-out file, or why there is none. */
    public sealed interface Outcome permits Built, Unavailable { }

    /** @param key the file in S3; {@code shots} how many training examples each example is preceded by (≤ k) */
    public record Built(String key, int shots) implements Outcome { }

    /** @param reason in words, for the report */
    public record Unavailable(String reason) implements Outcome { }

    private final ObjectStore store;

    public FewShotHeldOut(ObjectStore store) {
        this.store = store;
    }

    /**
     * Writes the held-out file at {@code heldOutKey} with {@code k} shots from the training split at {@code trainKey}
     * to {@code projects/{projectId}/eval/few-shot/{datasetId}-v{version}/k{k}.jsonl}.
     */
    public Outcome build(String projectId, String datasetId, int version, String heldOutKey, String trainKey, int k) {
        if (trainKey == null || !store.exists(trainKey)) {
            return new Unavailable("the training split of dataset " + datasetId + " version " + version
                    + " is not in the object store");
        }
        List<String> heldOut = lines(heldOutKey);
        List<ArrayNode> shots = shots(trainKey, Set.copyOf(heldOut), k);
        if (shots.isEmpty()) {
            return new Unavailable("the training split of dataset " + datasetId + " version " + version
                    + " has no conversation to show");
        }
        StringBuilder out = new StringBuilder();
        for (String line : heldOut) {
            out.append(withShots(read(line), shots)).append('\n');
        }
        String key = "projects/" + projectId + "/eval/few-shot/" + datasetId + "-v" + version + "/k" + k + ".jsonl";
        store.put(key, out.toString().getBytes(StandardCharsets.UTF_8), "application/jsonl");
        return new Built(key, shots.size());
    }

    /** The turns of the {@code k} training lines with the smallest hashes, in hash order; none of a held-out line. */
    private List<ArrayNode> shots(String trainKey, Set<String> heldOut, int k) {
        TreeMap<String, ArrayNode> smallest = new TreeMap<>();
        Set<String> seen = new HashSet<>();
        try (InputStream in = store.get(trainKey);
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.isBlank() || heldOut.contains(line) || !seen.add(line)) {
                    continue;
                }
                String hash = sha256(line);
                if (smallest.size() == k && hash.compareTo(smallest.lastKey()) >= 0) {
                    continue;
                }
                ArrayNode turns = shotTurns(readOrNull(line));
                if (turns != null) {
                    smallest.put(hash, turns);
                    if (smallest.size() > k) {
                        smallest.pollLastEntry();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ArrayList<>(smallest.values());
    }

    /** A training example's user and assistant turns, its assistant turns with weight 0; null if it has none. */
    private static ArrayNode shotTurns(JsonNode example) {
        if (example == null) {
            return null;
        }
        ArrayNode turns = EventCodec.mapper().createArrayNode();
        boolean answered = false;
        for (JsonNode message : example.path("messages")) {
            String role = message.path("role").asText();
            if (role.equals("user") || role.equals("assistant")) {
                ObjectNode turn = turns.addObject().put("role", role).put("content", message.path("content").asText());
                if (role.equals("assistant")) {
                    turn.put("weight", 0);
                    answered = true;
                }
            }
        }
        return answered && turns.get(0).path("role").asText().equals("user") ? turns : null;
    }

    /** The example with the shots' turns after its leading system turns. */
    private static JsonNode withShots(JsonNode example, List<ArrayNode> shots) {
        ObjectNode out = example.deepCopy();
        ArrayNode messages = out.putArray("messages");
        JsonNode own = example.path("messages");
        int i = 0;
        while (i < own.size() && own.get(i).path("role").asText().equals("system")) {
            messages.add(own.get(i++));
        }
        shots.forEach(messages::addAll);
        for (; i < own.size(); i++) {
            messages.add(own.get(i));
        }
        return out;
    }

    private List<String> lines(String key) {
        try (InputStream in = store.get(key)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(String line) {
        try {
            return EventCodec.mapper().readTree(line);
        } catch (IOException e) {
            throw new WorkerEvaluation.EvaluationException("a line of the dataset is not JSON: " + e.getMessage(),
                    true);
        }
    }

    /** A training line as JSON, or null where it is none: such a line is no shot, not a reason to fail. */
    private static JsonNode readOrNull(String line) {
        try {
            return EventCodec.mapper().readTree(line);
        } catch (IOException e) {
            return null;
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
