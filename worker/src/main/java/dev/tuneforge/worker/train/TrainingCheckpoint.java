package dev.tuneforge.worker.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.tuneforge.worker.safetensors.DType;
import dev.tuneforge.worker.safetensors.SafetensorsReader;
import dev.tuneforge.worker.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code checkpoint-<step>/}: the trained weights in their output layout (a PEFT adapter or an HF
 * model), {@code optimizer.safetensors} (AdamW moments), and {@code trainer_checkpoint.json}
 * ({@link CheckpointState}). Written to a temporary directory and renamed, so a checkpoint directory
 * is always complete.
 */
public final class TrainingCheckpoint {

    public static final String STATE_FILE = "trainer_checkpoint.json";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    private TrainingCheckpoint() {
    }

    public static Path save(Path outputDir, TrainedWeights weights, AdamW optimizer, CheckpointState state) {
        Path target = outputDir.resolve("checkpoint-" + state.globalStep());
        Path temporary = outputDir.resolve(".checkpoint-" + state.globalStep() + ".tmp");
        try {
            deleteRecursively(temporary);
            Files.createDirectories(temporary);
            weights.save(temporary);
            SafetensorsWriter moments = new SafetensorsWriter();
            optimizer.expAvg().forEach((name, m) -> moments.add("exp_avg." + name, DType.F32, m.getShape().getShape(),
                    floats(m)));
            optimizer.expAvgSq().forEach((name, v) -> moments.add("exp_avg_sq." + name, DType.F32,
                    v.getShape().getShape(), floats(v)));
            moments.write(temporary.resolve(OPTIMIZER_FILE));
            JSON.writerWithDefaultPrettyPrinter().writeValue(temporary.resolve(STATE_FILE).toFile(), state);
            deleteRecursively(target);
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + target, e);
        }
    }

    /** Restores weights and optimizer from {@code dir} and returns the run state recorded there. */
    public static CheckpointState load(Path dir, TrainedWeights weights, AdamW optimizer) {
        CheckpointState state = readState(dir);
        weights.restore(dir);
        Map<String, float[]> m = new HashMap<>();
        Map<String, float[]> v = new HashMap<>();
        try (SafetensorsReader moments = SafetensorsReader.open(dir.resolve(OPTIMIZER_FILE))) {
            for (String name : moments.names()) {
                if (name.startsWith("exp_avg_sq.")) {
                    v.put(name.substring("exp_avg_sq.".length()), moments.floats(name));
                } else if (name.startsWith("exp_avg.")) {
                    m.put(name.substring("exp_avg.".length()), moments.floats(name));
                }
            }
        }
        optimizer.restore(state.optimizerStep(), m, v);
        return state;
    }

    public static CheckpointState readState(Path dir) {
        try {
            return JSON.readValue(dir.resolve(STATE_FILE).toFile(), CheckpointState.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(STATE_FILE), e);
        }
    }

    /** The checkpoint with the highest step in {@code outputDir}, if any. */
    public static Optional<Path> latest(Path outputDir) {
        if (!Files.isDirectory(outputDir)) {
            return Optional.empty();
        }
        try (Stream<Path> children = Files.list(outputDir)) {
            return children.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .filter(p -> Files.isRegularFile(p.resolve(STATE_FILE)))
                    .max(Comparator.comparingLong(TrainingCheckpoint::stepOf));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + outputDir, e);
        }
    }

    private static long stepOf(Path dir) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private static float[] floats(NDArray array) {
        return array.toType(DataType.FLOAT32, false).toFloatArray();
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
