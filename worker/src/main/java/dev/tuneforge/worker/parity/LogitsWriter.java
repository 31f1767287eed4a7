package dev.tuneforge.worker.parity;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.adapter.Adapter;
import dev.tuneforge.worker.model.LlamaModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes what the djl runtime computes for a model directory and a PEFT adapter on fixed token ids, as
 * {@code logits.json} for {@code worker/parity/peft_parity.py} to compare with transformers + PEFT:
 * the ids, the base model's logits, and the logits with the adapter attached, all float32. Without an
 * adapter (a fully fine-tuned model directory) only the model's {@code logits}, and {@code adapter} null.
 *
 * <p>Run: {@code worker/parity/write-logits.sh MODEL_DIR ADAPTER_DIR|none [OUT.json]}. In main sources, not
 * tests, so that the conformance suite ({@code worker-conformance}) runs it on what either runtime wrote.
 */
public final class LogitsWriter {

    public static final String FORMAT = "tuneforge-logits-v1";
    /** The adapter argument for a model directory on its own. */
    public static final String NO_ADAPTER = "none";
    /** Two rows of 12 ids: short enough to read, long enough that RoPE and the causal mask matter. */
    static final int ROWS = 2;
    static final int LENGTH = 12;

    private LogitsWriter() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: LogitsWriter MODEL_DIR ADAPTER_DIR|" + NO_ADAPTER + " [OUT.json]");
            System.exit(2);
        }
        Path out = Path.of(args.length == 3 ? args[2] : "logits.json");
        write(Path.of(args[0]), args[1].equals(NO_ADAPTER) ? null : Path.of(args[1]), out);
        System.out.println("wrote " + out.toAbsolutePath());
    }

    /**
     * Computes the logits and writes them to {@code out}: the model's ({@code base_logits}) and the model's with
     * the adapter ({@code logits}), or, when {@code adapterDir} is null, the model's alone ({@code logits}).
     */
    public static ObjectNode write(Path modelDir, Path adapterDir, Path out) throws IOException {
        ObjectMapper json = new ObjectMapper();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             LlamaModel model = LlamaModel.load(modelDir, manager)) {
            long[] ids = ids(model.config().vocabSize());
            NDArray input = manager.create(ids, new Shape(ROWS, LENGTH));
            ObjectNode doc = json.createObjectNode();
            doc.put("format", FORMAT);
            doc.put("model", modelDir.toAbsolutePath().toString());
            doc.put("adapter", adapterDir == null ? null : adapterDir.toAbsolutePath().toString());
            ArrayNode rows = doc.putArray("input_ids");
            for (int r = 0; r < ROWS; r++) {
                ArrayNode row = rows.addArray();
                for (int t = 0; t < LENGTH; t++) {
                    row.add(ids[r * LENGTH + t]);
                }
            }
            if (adapterDir == null) {
                put(doc.putArray("logits"), model.forward(input));
            } else {
                put(doc.putArray("base_logits"), model.forward(input));
                try (Adapter adapter = Adapter.load(model, adapterDir)) {
                    put(doc.putArray("logits"), model.forward(input));
                }
            }
            json.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), doc);
            return doc;
        }
    }

    /** Fixed ids spread over the vocabulary, never the special tokens 0..2. */
    static long[] ids(long vocab) {
        SplittableRandom random = new SplittableRandom(20_251_123L);
        long[] ids = new long[ROWS * LENGTH];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextLong(Math.min(3, vocab - 1), vocab);
        }
        return ids;
    }

    /** {@code [B, T, V]} as nested arrays; float32 values print exactly as Java's shortest repr. */
    private static void put(ArrayNode target, NDArray logits) {
        long[] shape = logits.getShape().getShape();
        float[] values = logits.toFloatArray();
        int i = 0;
        for (long b = 0; b < shape[0]; b++) {
            ArrayNode row = target.addArray();
            for (long t = 0; t < shape[1]; t++) {
                ArrayNode position = row.addArray();
                for (long v = 0; v < shape[2]; v++) {
                    position.add(values[i++]);
                }
            }
        }
    }
}
