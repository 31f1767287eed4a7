package dev.tuneforge.worker.serve;

import ai.djl.ndarray.NDManager;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.eval.Generator;
import dev.tuneforge.worker.eval.StopTokens;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.WorkerFailure;
import dev.tuneforge.worker.train.Devices;
import dev.tuneforge.worker.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The models a server answers with: base weights, loaded once, an optional adapter (LoRA or a soft prompt) from
 * {@code --adapter}, and with {@code --adapters} an {@link AdapterLibrary} of adapters chosen per request; the
 * tokenizer with its chat template, and a generator that ends on the model's end-of-sequence tokens.
 *
 * <p>{@link #activate} attaches the adapter a request names and is called, like the generation that follows it,
 * under the server's generation lock: one adapter is attached at a time, and only while its request runs.
 */
public final class ServedModel implements AutoCloseable {

    private final String id;
    private final String baseId;
    private final NDManager root;
    private final HfTokenizer tokenizer;
    private final LlamaModel model;
    private final ResidentAdapter adapter;
    private final AdapterLibrary adapters;
    private final Generator generator;
    /** The adapter attached now, or null; changed only under the generation lock. */
    private ResidentAdapter attached;

    private ServedModel(String id, String baseId, NDManager root, HfTokenizer tokenizer, LlamaModel model,
                        ResidentAdapter adapter, AdapterLibrary adapters, Path modelDir) {
        this.id = id;
        this.baseId = baseId;
        this.root = root;
        this.tokenizer = tokenizer;
        this.model = model;
        this.adapter = adapter;
        this.adapters = adapters;
        this.generator = new Generator(model, StopTokens.of(modelDir, tokenizer), Trainer.padId(tokenizer),
                ids -> tokenizer.decode(ids, true));
        if (adapter != null) {
            adapter.attach(model);
            attached = adapter;
        }
    }

    /**
     * Loads {@code modelDir} (and {@code adapterDir}, if not null) on {@code device}. The model's id, as
     * {@code /v1/models} lists it, is the adapter's directory name when there is one, else the model's.
     */
    public static ServedModel load(Path modelDir, Path adapterDir, String device) {
        return load(modelDir, adapterDir, null, 0, device);
    }

    /**
     * As {@link #load(Path, Path, String)}, and with {@code adaptersDir} not null, serves the adapters under it
     * too, keeping at most {@code maxAdapters} of them in memory.
     */
    public static ServedModel load(Path modelDir, Path adapterDir, Path adaptersDir, int maxAdapters, String device) {
        requireDirectory("--model", modelDir);
        if (adapterDir != null) {
            requireDirectory("--adapter", adapterDir);
        }
        if (adaptersDir != null) {
            requireDirectory("--adapters", adaptersDir);
        }
        NDManager root = NDManager.newBaseManager(Devices.resolve(device), "PyTorch");
        HfTokenizer tokenizer = null;
        LlamaModel model = null;
        try {
            tokenizer = HfTokenizer.load(modelDir);
            model = LlamaModel.load(modelDir, root);
            String baseId = modelDir.getFileName().toString();
            ResidentAdapter adapter = adapterDir == null ? null
                    : ResidentAdapter.load(adapterDir.getFileName().toString(), model, adapterDir);
            String id = adapter != null ? adapter.id() : baseId;
            AdapterLibrary adapters = adaptersDir == null ? null : new AdapterLibrary(adaptersDir, maxAdapters);
            return new ServedModel(id, baseId, root, tokenizer, model, adapter, adapters, modelDir);
        } catch (RuntimeException e) {
            if (model != null) {
                model.close();
            }
            if (tokenizer != null) {
                tokenizer.close();
            }
            root.close();
            throw e instanceof WorkerFailure ? e : WorkerFailure.badSpec("cannot load the model: " + e.getMessage());
        }
    }

    private static void requireDirectory(String option, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw WorkerFailure.badSpec(option + " " + dir + ": no such directory");
        }
    }

    /** The id of the model a request without {@code model} gets, as the {@code serving} event names it. */
    public String id() {
        return id;
    }

    /**
     * The id of the model that answers a request naming {@code requested} (null: none named). Without
     * {@code --adapters} that is always {@link #id()}; with it, an unknown adapter is a 404 {@code model_not_found}.
     */
    String resolve(String requested) {
        if (adapters == null || requested == null || requested.equals(id) || requested.equals(baseId)) {
            return id;
        }
        adapters.requireKnown(requested);
        return requested;
    }

    /**
     * Attaches the model {@code resolvedId} names (reading its adapter first if needed) and returns the context
     * its prompt and completion may take. Only under the generation lock.
     */
    int activate(String resolvedId) {
        if (attached != null) {
            attached.detach(model);
            attached = null;
        }
        ResidentAdapter target = resolvedId.equals(id) ? adapter : adapters.get(resolvedId, model);
        if (target != null) {
            target.attach(model);
            attached = target;
        }
        return model.config().maxPositionEmbeddings() - model.virtualTokenCount();
    }

    /** The ids {@code /v1/models} lists: this model's, then the loaded adapters, most recently used first. */
    List<String> ids() {
        List<String> ids = new ArrayList<>(List.of(id));
        if (adapters != null) {
            ids.addAll(adapters.loadedIds());
        }
        return ids;
    }

    /** How many adapters of {@code --adapters} are in memory, or null without it. */
    Integer adaptersLoaded() {
        return adapters == null ? null : adapters.loadedCount();
    }

    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    public Generator generator() {
        return generator;
    }

    @Override
    public void close() {
        if (attached != null) {
            attached.detach(model);
        }
        if (adapter != null) {
            adapter.close();
        }
        if (adapters != null) {
            adapters.close();
        }
        model.close();
        tokenizer.close();
        root.close();
    }
}
