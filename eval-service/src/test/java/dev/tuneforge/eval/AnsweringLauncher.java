package dev.tuneforge.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.eval.run.EvaluationLauncher;
import dev.tuneforge.eval.run.EvaluationTask;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.worker.protocol.DataFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Plays {@code worker evaluate} for tests that are about what eval-service does around it, not about models: it
 * reads the held-out file it is handed from S3 and writes one result per example, answering each with its reference,
 * where the worker would. On preference pairs it scores each pair as a DPO candidate and its base model would differ: a
 * fine-tuned subject (one with an artifact) prefers the chosen answer of every pair by 2 nats, the base model the chosen
 * answer of the even-numbered pairs and the rejected one of the odd-numbered, by 1 nat. It remembers every task, so a
 * test can see which data was evaluated on.
 */
public final class AnsweringLauncher implements EvaluationLauncher {

    private final ObjectStore store;
    private final String runtime;
    private final List<EvaluationTask> tasks = new CopyOnWriteArrayList<>();

    public AnsweringLauncher(ObjectStore store, String runtime) {
        this.store = store;
        this.runtime = runtime;
    }

    @Override
    public String runtime() {
        return runtime;
    }

    @Override
    public String evaluate(EvaluationTask task) {
        tasks.add(task);
        StringBuilder results = new StringBuilder();
        List<String> lines;
        try (InputStream in = store.get(task.dataKey())) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 0; i < lines.size(); i++) {
            JsonNode messages = read(lines.get(i)).path("messages");
            String reference = messages.path(messages.size() - 1).path("content").asText();
            ObjectNode result = EventCodec.mapper().createObjectNode().put("index", i).put("loss", 1.0)
                    .put("tokens", 4).put("token_accuracy", 0.5).put("generated", reference).put("reference", reference);
            if (task.format() == DataFormat.PREFERENCE) {
                boolean prefersChosen = task.artifactKey() != null || i % 2 == 0;
                double margin = task.artifactKey() != null ? 2.0 : prefersChosen ? 1.0 : -1.0;
                result.put("chosen_logp", -3.0 + margin).put("rejected_logp", -3.0)
                        .put("prefers_chosen", prefersChosen);
            }
            results.append(result).append('\n');
        }
        store.put(task.resultsKey(), results.toString().getBytes(StandardCharsets.UTF_8), "application/jsonl");
        return task.resultsKey();
    }

    /** The tasks it was given, in order. */
    public List<EvaluationTask> tasks() {
        return List.copyOf(tasks);
    }

    private static JsonNode read(String line) {
        try {
            return EventCodec.mapper().readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
