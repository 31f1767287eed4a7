package dev.tuneforge.worker.serve;

import dev.tuneforge.worker.adapter.AdapterFiles;
import dev.tuneforge.worker.model.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The adapters of {@code serve --adapters DIR}: an id names the subdirectory {@code DIR/<id>}, read on the first
 * request that names it (so the directory may gain adapters while the server runs), and at most {@code max} stay in
 * memory, the least recently used evicted first. An id is {@link #ID}, so none climbs out of {@code DIR} (no
 * {@code /}, no leading dot), and a directory staged under a dotted temporary name is invisible until renamed.
 *
 * <p>Loading and evicting happen under the server's generation lock, when no adapter is attached; the map is also
 * guarded by this object, because {@code /v1/models} and {@code /health} read it without that lock.
 */
final class AdapterLibrary implements AutoCloseable {

    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,199}");

    private final Path dir;
    private final int max;
    /** In access order: the eldest entry is the least recently used. */
    private final LinkedHashMap<String, ResidentAdapter> loaded = new LinkedHashMap<>(16, 0.75f, true);

    AdapterLibrary(Path dir, int max) {
        this.dir = dir;
        this.max = max;
    }

    /** Checks that {@code id} names an adapter directory; 404 {@code model_not_found} if not. */
    void requireKnown(String id) {
        if (!ID.matcher(id).matches()) {
            throw ApiError.modelNotFound("model " + quoted(id) + " is not an id this server serves (the base model, "
                    + "or an adapter: " + ID.pattern() + ")");
        }
        synchronized (this) {
            if (loaded.containsKey(id)) {
                return;
            }
        }
        if (!Files.isRegularFile(dir.resolve(id).resolve(AdapterFiles.CONFIG_FILE))) {
            throw ApiError.modelNotFound("model " + quoted(id) + " does not exist: no adapter of that name");
        }
    }

    /**
     * The adapter {@code id}, read now if it is not in memory (evicting the least recently used beyond the limit).
     * Call only with no adapter attached to {@code model}. An adapter that does not fit the model is a 400 naming it.
     */
    ResidentAdapter get(String id, LlamaModel model) {
        synchronized (this) {
            ResidentAdapter resident = loaded.get(id);
            if (resident != null) {
                return resident;
            }
        }
        requireKnown(id);
        ResidentAdapter resident;
        try {
            resident = ResidentAdapter.load(id, model, dir.resolve(id));
        } catch (RuntimeException e) {
            throw ApiError.invalid("model", "adapter " + quoted(id) + " cannot be served with this model: "
                    + e.getMessage());
        }
        List<ResidentAdapter> evicted = new ArrayList<>();
        synchronized (this) {
            loaded.put(id, resident);
            var eldest = loaded.entrySet().iterator();
            while (loaded.size() > max) {
                evicted.add(eldest.next().getValue());
                eldest.remove();
            }
        }
        evicted.forEach(ResidentAdapter::close);
        return resident;
    }

    /** The loaded adapters' ids, most recently used first. */
    synchronized List<String> loadedIds() {
        return new ArrayList<>(loaded.sequencedKeySet().reversed());
    }

    synchronized int loadedCount() {
        return loaded.size();
    }

    private static String quoted(String id) {
        return "\"" + (id.length() > 80 ? id.substring(0, 80) + "..." : id) + "\"";
    }

    @Override
    public synchronized void close() {
        loaded.values().forEach(ResidentAdapter::close);
        loaded.clear();
    }
}
