package dev.tuneforge.worker.serve;

import ai.djl.ndarray.NDArray;
import dev.tuneforge.worker.adapter.Adapter;
import dev.tuneforge.worker.model.Linear;
import dev.tuneforge.worker.model.LinearAdapter;
import dev.tuneforge.worker.model.LlamaModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An adapter held in memory beside the shared base weights, attached to the model only while a request it serves
 * generates: its LoRA deltas (each {@link Linear}'s {@link LinearAdapter}) and its soft prompt, if any. Attaching
 * and detaching only set references, so switching adapters between requests costs nothing, and the base weights are
 * never changed (no adapter is merged into them), so a request sees exactly its own adapter's weights.
 */
final class ResidentAdapter implements AutoCloseable {

    private final String id;
    private final Map<Linear, LinearAdapter> deltas;
    private final NDArray virtualTokens;

    private ResidentAdapter(String id, Map<Linear, LinearAdapter> deltas, NDArray virtualTokens) {
        this.id = id;
        this.deltas = deltas;
        this.virtualTokens = virtualTokens;
    }

    /**
     * Reads the PEFT adapter in {@code dir} and keeps it detached. The model must have no adapter attached; it has
     * none afterwards either, also when the adapter does not fit (then {@link IllegalArgumentException}).
     */
    static ResidentAdapter load(String id, LlamaModel model, Path dir) {
        try {
            Adapter.load(model, dir);
        } catch (RuntimeException e) {
            new ResidentAdapter(id, detachAll(model), model.setVirtualTokens(null)).close();
            throw e;
        }
        return new ResidentAdapter(id, detachAll(model), model.setVirtualTokens(null));
    }

    /** Takes every delta off the model's projections, returning them unclosed. */
    private static Map<Linear, LinearAdapter> detachAll(LlamaModel model) {
        Map<Linear, LinearAdapter> deltas = new LinkedHashMap<>();
        for (Linear projection : model.projections()) {
            LinearAdapter delta = projection.setAdapter(null);
            if (delta != null) {
                deltas.put(projection, delta);
            }
        }
        return deltas;
    }

    /** The id requests name it by: its directory's name. */
    String id() {
        return id;
    }

    /** How many positions of the model's context its soft prompt takes (0 for LoRA). */
    int virtualTokenCount() {
        return virtualTokens == null ? 0 : Math.toIntExact(virtualTokens.getShape().get(0));
    }

    void attach(LlamaModel model) {
        deltas.forEach(Linear::setAdapter);
        model.setVirtualTokens(virtualTokens);
    }

    void detach(LlamaModel model) {
        deltas.keySet().forEach(projection -> projection.setAdapter(null));
        model.setVirtualTokens(null);
    }

    /** Frees its tensors; it must be detached. */
    @Override
    public void close() {
        deltas.values().forEach(LinearAdapter::close);
        if (virtualTokens != null) {
            virtualTokens.close();
        }
    }
}
