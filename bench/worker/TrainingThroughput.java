import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tuneforge.worker.data.Batch;
import dev.tuneforge.worker.data.Row;
import dev.tuneforge.worker.data.TokenizedExample;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.safetensors.DType;
import dev.tuneforge.worker.train.AdamW;
import dev.tuneforge.worker.train.GradientClipping;
import dev.tuneforge.worker.train.TokenLoss;
import dev.tuneforge.worker.train.TrainableParameters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Training throughput of the djl runtime on a ~30M-parameter Llama-style model (full fine-tuning, the
 * trainer's own step: forward, backward, clipping, AdamW), and how it compares with libtorch doing
 * only plain matmuls of the model's shapes in the same JVM.
 *
 * Model FLOPs per token: 6 N (N = parameters in the matmuls) + 12 L T d (attention scores and values,
 * forward and backward), the usual accounting. The matmul baseline runs the forward and both backward
 * matmuls of every projection and the lm_head for the same tokens.
 *
 * Run: bench/worker/run.sh [layers hidden intermediate seq batch steps]
 */
public final class TrainingThroughput {

    public static void main(String[] args) throws Exception {
        int layers = arg(args, 0, 8);
        int hidden = arg(args, 1, 512);
        int inter = arg(args, 2, 1536);
        int seq = arg(args, 3, 256);
        int batch = arg(args, 4, 8);
        int steps = arg(args, 5, 6);
        int heads = hidden / 64;
        Path dir = Files.createTempDirectory("tf-bench");
        TinyLlamaWriter.Spec spec = new TinyLlamaWriter.Spec(hidden, inter, layers, heads, heads, 64, 61, false, false,
                DType.F32, 1, seq, 10000.0, 1.0, 1L);
        TinyLlamaWriter.write(dir, spec);
        try (NDManager root = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch");
             LlamaModel model = LlamaModel.load(dir, root)) {
            TrainableParameters params = TrainableParameters.of(model.namedWeights());
            long matmulParams = 0;
            for (var e : params.byName().entrySet()) {
                if (e.getValue().getShape().dimension() == 2 && !e.getKey().contains("embed_tokens")) {
                    matmulParams += e.getValue().getShape().size();
                }
            }
            AdamW adam = new AdamW(params, 0.0, root.newSubManager());
            SplittableRandom random = new SplittableRandom(3);
            List<TokenizedExample> examples = new ArrayList<>();
            List<Row> rows = new ArrayList<>();
            for (int r = 0; r < batch; r++) {
                long[] ids = random.longs(seq, 3, spec.vocabSize()).toArray();
                boolean[] trained = new boolean[seq];
                java.util.Arrays.fill(trained, true);
                examples.add(TokenizedExample.of(ids, trained));
                rows.add(new Row(List.of(r)));
            }
            Batch b = Batch.of(rows, examples, 0);
            double seconds = 0;
            for (int s = 0; s < steps + 1; s++) {
                long t0 = System.nanoTime();
                try (NDManager scratch = root.newSubManager()) {
                    try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                        c.backward(TokenLoss.nllSum(model, b.toTensors(scratch)).div(b.targetCount()));
                    }
                    GradientClipping.clip(params, 1.0, scratch);
                    adam.step(1e-4, scratch);
                }
                params.zeroGradients();
                if (s > 0) { // the first step warms up libtorch
                    seconds += (System.nanoTime() - t0) / 1e9;
                }
            }
            long tokens = (long) steps * batch * seq;
            double tokensPerSecond = tokens / seconds;
            double flopsPerToken = 6.0 * matmulParams + 12.0 * layers * seq * hidden;
            double modelFlops = tokensPerSecond * flopsPerToken;
            double matmulFlops = matmulBaseline(root, batch * seq, hidden, inter, heads * 64, spec.vocabSize(), layers);
            System.out.printf("params %.1fM (matmul %.1fM), layers %d, hidden %d, intermediate %d, seq %d, batch %d, "
                            + "threads %s%n", params.count() / 1e6, matmulParams / 1e6, layers, hidden, inter, seq, batch,
                    System.getenv().getOrDefault("OMP_NUM_THREADS", "default"));
            System.out.printf("training: %.0f tokens/s, %.2f s/step, model %.2f GFLOP/s%n", tokensPerSecond,
                    seconds / steps, modelFlops / 1e9);
            System.out.printf("libtorch matmuls of the same shapes: %.2f GFLOP/s; ratio %.2f%n", matmulFlops / 1e9,
                    modelFlops / matmulFlops);
        }
    }

    /** GFLOP/s of forward + two backward matmuls for every projection shape, timed after a warm-up. */
    private static double matmulBaseline(NDManager root, int tokens, int hidden, int inter, int qDim, int vocab,
                                         int layers) {
        int[][] shapes = {{qDim, hidden}, {qDim, hidden}, {qDim, hidden}, {hidden, qDim},
            {inter, hidden}, {inter, hidden}, {hidden, inter}};
        double flops = 0;
        double seconds = 0;
        try (NDManager m = root.newSubManager()) {
            for (int repeat = 0; repeat < 2; repeat++) {
                long t0 = System.nanoTime();
                double f = 0;
                for (int l = 0; l < layers; l++) {
                    for (int[] s : shapes) {
                        f += threeMatmuls(m, tokens, s[0], s[1]);
                    }
                }
                f += threeMatmuls(m, tokens, vocab, hidden);
                if (repeat == 1) {
                    seconds = (System.nanoTime() - t0) / 1e9;
                    flops = f;
                }
            }
        }
        return flops / seconds;
    }

    private static double threeMatmuls(NDManager root, int tokens, int out, int in) {
        try (NDManager m = root.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(tokens, in));
            NDArray w = m.randomNormal(new Shape(out, in));
            NDArray dy = m.randomNormal(new Shape(tokens, out));
            NDArray y = x.matMul(w.transpose());
            NDArray dx = dy.matMul(w);
            NDArray dw = dy.transpose().matMul(x);
            y.getFloat(0, 0);
            dx.getFloat(0, 0);
            dw.getFloat(0, 0);
            return 3.0 * 2.0 * tokens * (double) out * in;
        }
    }

    private static int arg(String[] args, int i, int fallback) {
        return args.length > i ? Integer.parseInt(args[i]) : fallback;
    }
}
