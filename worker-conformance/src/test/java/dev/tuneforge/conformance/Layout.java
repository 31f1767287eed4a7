package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.worker.safetensors.SafetensorsReader;
import dev.tuneforge.worker.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The files docs/WORKER_PROTOCOL.md ("Outputs") promises, read as a user of the output directory reads them. */
final class Layout {

    static final ObjectMapper JSON = new ObjectMapper();
    /** What trainer_checkpoint.json records: step, epoch and position in it, seed, optimizer and scheduler steps,
     *  best-so-far, early-stopping count, data fingerprint, log history. */
    static final Set<String> CHECKPOINT_STATE_KEYS = Set.of("global_step", "epoch", "step_in_epoch", "seed",
            "optimizer_step", "scheduler_step", "best_step", "best_valid_loss", "evals_without_improvement",
            "plan_fingerprint", "log_history");
    static final Set<String> TRAINER_STATE_KEYS = Set.of("global_step", "best_step", "best_metric", "log_history");
    static final Set<String> STEP_LOG_KEYS = Set.of("step", "epoch", "loss", "learning_rate", "grad_norm");
    static final Set<String> EVAL_LOG_KEYS = Set.of("step", "eval_loss", "eval_token_accuracy");

    private Layout() {
    }

    static JsonNode json(Path file) {
        assertTrue(Files.isRegularFile(file), "no " + file);
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Set<String> keys(JsonNode object) {
        Set<String> keys = new TreeSet<>();
        object.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    /** name → shape of every tensor in a safetensors file, checking that all are float32. */
    static Map<String, List<Long>> float32Tensors(Path file) {
        return tensors(file, true);
    }

    /** name → shape of every tensor in a safetensors file, sorted by name. */
    static Map<String, List<Long>> tensors(Path file, boolean float32) {
        assertTrue(Files.isRegularFile(file), "no " + file);
        Map<String, List<Long>> shapes = new TreeMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (TensorInfo t : reader.tensors().values()) {
                if (float32) {
                    assertEquals("F32", t.dtype().name(), t.name() + " in " + file);
                }
                shapes.put(t.name(), Arrays.stream(t.shape()).boxed().toList());
            }
        }
        return shapes;
    }

    /** The weights file of an output of {@code kind} ({@code adapter} or {@code model}). */
    static Path weights(Path dir, String kind) {
        return dir.resolve(kind.equals("adapter") ? "adapter_model.safetensors" : "model.safetensors");
    }

    /**
     * A checkpoint a run can resume from: its state at {@code step}, trainer_state.json, the weights in the output
     * layout and AdamW's two moments for each of them.
     */
    static void assertCompleteCheckpoint(Path dir, long step, String kind) {
        assertTrue(Files.isDirectory(dir), "no checkpoint " + dir);
        JsonNode state = json(dir.resolve("trainer_checkpoint.json"));
        assertTrue(keys(state).containsAll(CHECKPOINT_STATE_KEYS), "trainer_checkpoint.json has "
                + CHECKPOINT_STATE_KEYS + ": " + keys(state));
        assertEquals(step, state.get("global_step").asLong(), dir.toString());
        assertEquals(step, json(dir.resolve("trainer_state.json")).get("global_step").asLong(), dir.toString());
        assertTrue(Files.isRegularFile(dir.resolve(kind.equals("adapter") ? "adapter_config.json" : "config.json")),
                "the weights' config in " + dir);
        Set<String> weights = float32Tensors(weights(dir, kind)).keySet();
        Set<String> moments = float32Tensors(dir.resolve("optimizer.safetensors")).keySet();
        Set<String> expected = weights.stream().flatMap(n -> Stream.of("exp_avg." + n, "exp_avg_sq." + n))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, new TreeSet<>(moments), "optimizer.safetensors: both moments of every weight, in " + dir);
    }
}
