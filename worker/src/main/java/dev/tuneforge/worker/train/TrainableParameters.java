package dev.tuneforge.worker.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.tuneforge.worker.safetensors.SafetensorsReader;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The tensors a run trains, by checkpoint name, each marked for gradients; everything else in the
 * model stays frozen and gets none. Gradients accumulate in libtorch across the backward passes of a
 * step's micro-batches and are cleared after the optimizer step.
 *
 * @param decayed names that get weight decay: matrices, not norm weights or biases, as transformers
 *                excludes those
 */
public record TrainableParameters(Map<String, NDArray> byName, Set<String> decayed) {

    public static TrainableParameters of(Map<String, NDArray> byName) {
        Map<String, NDArray> copy = new LinkedHashMap<>(byName);
        copy.values().forEach(p -> p.setRequiresGradient(true));
        Set<String> decayed = copy.entrySet().stream()
                .filter(e -> e.getValue().getShape().dimension() >= 2)
                .map(Map.Entry::getKey)
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        return new TrainableParameters(java.util.Collections.unmodifiableMap(copy), decayed);
    }

    /** The accumulated gradient of {@code name}, as an array owned by {@code manager}. */
    public NDArray gradient(String name, NDManager manager) {
        NDArray grad = byName.get(name).getGradient();
        grad.attach(manager);
        return grad;
    }

    /** Sets every tensor to the one of the same name in a safetensors file (a checkpoint's). */
    public void restore(Path file) {
        try (SafetensorsReader weights = SafetensorsReader.open(file)) {
            for (Map.Entry<String, NDArray> e : byName.entrySet()) {
                e.getValue().set(weights.floats(e.getKey()));
            }
        }
    }

    public void zeroGradients() {
        // The gradient tensor is zeroed in place, so libtorch keeps accumulating into it next step.
        byName.values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p));
    }

    public long count() {
        return byName.values().stream().mapToLong(p -> p.getShape().size()).sum();
    }
}
