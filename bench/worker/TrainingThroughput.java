import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tuneforge.worker.data.Batch;
import dev.tuneforge.worker.data.Row;
import dev.tuneforge.worker.data.TokenizedExample;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import ai.djl.pytorch.jni.JniUtils;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.model.ScalarTensor;
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
 * matmuls of every projection and the lm_head for the same tokens, on arrays allocated beforehand, so
 * only the matmuls are timed; it is the best median of 3 repetitions.
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
            double forward = 0;
            double backward = 0;
            for (int s = 0; s < steps + 1; s++) {
                long t0 = System.nanoTime();
                long t1;
                long t2;
                try (NDManager scratch = root.newSubManager()) {
                    try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                        NDArray sum = TokenLoss.nllSum(model, b.toTensors(scratch));
                        t1 = System.nanoTime();
                        c.backward(sum.div(ScalarTensor.of(sum, b.targetCount())));
                        t2 = System.nanoTime();
                    }
                    GradientClipping.clip(params, 1.0, scratch);
                    adam.step(1e-4, scratch);
                }
                params.zeroGradients();
                if (s > 0) { // the first step warms up libtorch
                    long t3 = System.nanoTime();
                    seconds += (t3 - t0) / 1e9;
                    forward += (t1 - t0) / 1e9;
                    backward += (t2 - t1) / 1e9;
                }
            }
            long tokens = (long) steps * batch * seq;
            double tokensPerSecond = tokens / seconds;
            double flopsPerToken = 6.0 * matmulParams + 12.0 * layers * seq * hidden;
            double modelFlops = tokensPerSecond * flopsPerToken;
            double matmulFlops = matmulBaseline(root, batch * seq, hidden, inter, heads * 64, spec.vocabSize(), layers);
            System.out.printf("params %.1fM (matmul %.1fM), layers %d, hidden %d, intermediate %d, seq %d, batch %d, "
                            + "threads %s%n", params.count() / 1e6, matmulParams / 1e6, layers, hidden, inter, seq, batch,
                    JniUtils.getNumThreads() + " (OMP_NUM_THREADS " + System.getenv().getOrDefault("OMP_NUM_THREADS",
                            "unset") + ")");
            System.out.printf("training: %.0f tokens/s, %.2f s/step (forward %.2f, backward %.2f, clip+AdamW %.2f),"
                            + " model %.2f GFLOP/s%n", tokensPerSecond, seconds / steps, forward / steps, backward / steps,
                    (seconds - forward - backward) / steps, modelFlops / 1e9);
            System.out.printf("libtorch matmuls of the same shapes: %.2f GFLOP/s; ratio %.2f%n", matmulFlops / 1e9,
                    modelFlops / matmulFlops);
        }
    }

    /** GFLOP/s of forward + two backward matmuls for every projection shape, allocated first, then timed. */
    private static double matmulBaseline(NDManager root, int tokens, int hidden, int inter, int qDim, int vocab,
                                         int layers) {
        List<int[]> shapes = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            shapes.addAll(List.of(new int[] {qDim, hidden}, new int[] {qDim, hidden}, new int[] {qDim, hidden},
                    new int[] {hidden, qDim}, new int[] {inter, hidden}, new int[] {inter, hidden},
                    new int[] {hidden, inter}));
        }
        shapes.add(new int[] {vocab, hidden});
        try (NDManager m = root.newSubManager()) {
            List<NDArray[]> operands = new ArrayList<>();
            double flops = 0;
            for (int[] s : shapes) {
                operands.add(new NDArray[] {m.randomNormal(new Shape(tokens, s[1])), m.randomNormal(new Shape(s[0], s[1])),
                    m.randomNormal(new Shape(tokens, s[0]))});
                flops += 3.0 * 2.0 * tokens * (double) s[0] * s[1];
            }
            double best = Double.MAX_VALUE;
            for (int repeat = 0; repeat < 4; repeat++) {
                long t0 = System.nanoTime();
                for (NDArray[] o : operands) {
                    try (NDManager step = m.newSubManager()) {
                        NDArray x = o[0];
                        NDArray w = o[1];
                        NDArray dy = o[2];
                        // y = x W^T, dx = dy W, dW = dy^T x: the three matmuls of a linear layer's step
                        NDArray y = x.matMul(w.transpose());
                        NDArray dx = dy.matMul(w);
                        NDArray dw = dy.transpose().matMul(x);
                        y.attach(step);
                        dx.attach(step);
                        dw.attach(step);
                    }
                }
                if (repeat > 0) { // the first repetition warms up
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
            }
            return flops / best;
        }
    }

    private static int arg(String[] args, int i, int fallback) {
        return args.length > i ? Integer.parseInt(args[i]) : fallback;
    }
}
