package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * The keys and values every layer has computed so far, so that generating a token costs one position's
 * forward pass instead of the whole sequence's. Keys are stored after RoPE and before the grouped-query
 * repeat ({@code [B, kvHeads, T, headDim]}), as transformers' {@code DynamicCache} does: positions are
 * baked in once, and memory is {@code kvHeads}, not {@code heads}. The padding mask of every cached
 * column ({@code [B, T]}, 1 kept, 0 hidden) travels with them, so left-padded batches stay masked.
 *
 * <p>Arrays live in the cache's own manager, outside the forward pass's {@link NDScope}; closing the
 * cache frees them.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private NDArray keep;

    KvCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** How many positions (columns) are cached. */
    public long length() {
        return keep == null ? 0 : keep.getShape().get(1);
    }

    /** The padding mask of all cached columns plus {@code newKeep}, which becomes part of the cache. */
    NDArray appendKeep(NDArray newKeep) {
        keep = append(keep, newKeep, 1);
        return keep;
    }

    /** Appends a layer's new keys ({@code [B, kvHeads, T, d]}) and returns all of that layer's keys. */
    NDArray appendKeys(int layer, NDArray k) {
        keys[layer] = append(keys[layer], k, 2);
        return keys[layer];
    }

    NDArray appendValues(int layer, NDArray v) {
        values[layer] = append(values[layer], v, 2);
        return values[layer];
    }

    private NDArray append(NDArray cached, NDArray fresh, int axis) {
        NDArray joined = cached == null ? fresh.duplicate() : cached.concat(fresh, axis);
        NDScope.unregister(joined);
        joined.attach(manager);
        if (cached != null) {
            cached.close();
        }
        return joined;
    }

    @Override
    public void close() {
        manager.close();
    }
}
