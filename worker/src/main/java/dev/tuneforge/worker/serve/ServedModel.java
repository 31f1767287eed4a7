package dev.tuneforge.worker.serve;

import ai.djl.ndarray.NDManager;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.eval.Generator;
import dev.tuneforge.worker.eval.StopTokens;
import dev.tuneforge.worker.adapter.Adapter;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.WorkerFailure;
import dev.tuneforge.worker.train.Devices;
import dev.tuneforge.worker.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model a server answers with: base weights, an optional adapter (LoRA or a soft prompt) attached to them, the
 * tokenizer with its chat template, and a generator that ends on the model's end-of-sequence tokens.
 */
public final class ServedModel implements AutoCloseable {

    private final String id;
    private final NDManager root;
    private final HfTokenizer tokenizer;
    private final LlamaModel model;
    private final Adapter adapter;
    private final Generator generator;

    private ServedModel(String id, NDManager root, HfTokenizer tokenizer, LlamaModel model, Adapter adapter,
                        Path modelDir) {
        this.id = id;
        this.root = root;
        this.tokenizer = tokenizer;
        this.model = model;
        this.adapter = adapter;
        this.generator = new Generator(model, StopTokens.of(modelDir, tokenizer), Trainer.padId(tokenizer),
                ids -> tokenizer.decode(ids, true));
    }

    /**
     * Loads {@code modelDir} (and {@code adapterDir}, if not null) on {@code device}. The model's id, as
     * {@code /v1/models} lists it, is the adapter's directory name when there is one, else the model's.
     */
    public static ServedModel load(Path modelDir, Path adapterDir, String device) {
        requireDirectory("--model", modelDir);
        if (adapterDir != null) {
            requireDirectory("--adapter", adapterDir);
        }
        NDManager root = NDManager.newBaseManager(Devices.resolve(device), "PyTorch");
        HfTokenizer tokenizer = null;
        LlamaModel model = null;
        try {
            tokenizer = HfTokenizer.load(modelDir);
            model = LlamaModel.load(modelDir, root);
            Adapter adapter = adapterDir == null ? null : Adapter.load(model, adapterDir);
            String id = (adapterDir != null ? adapterDir : modelDir).getFileName().toString();
            return new ServedModel(id, root, tokenizer, model, adapter, modelDir);
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

    public String id() {
        return id;
    }

    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    public Generator generator() {
        return generator;
    }

    /**
     * The most tokens a prompt and its completion may take together; a soft prompt's virtual tokens take the rest
     * of the model's context.
     */
    public int contextLength() {
        return model.config().maxPositionEmbeddings() - model.virtualTokenCount();
    }

    @Override
    public void close() {
        if (adapter != null) {
            adapter.close();
        }
        model.close();
        tokenizer.close();
        root.close();
    }
}
