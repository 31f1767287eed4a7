package dev.tuneforge.worker.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tuneforge.worker.Djl;
import dev.tuneforge.worker.data.Batch;
import dev.tuneforge.worker.data.Row;
import dev.tuneforge.worker.data.TokenizedExample;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.lora.LoraModel;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.protocol.TrainSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backpropagated gradients of the training loss equal central finite differences, for LoRA adapters
 * and for every kind of weight under full fine-tuning. The model runs in float64 so that the finite
 * differences themselves are exact to many digits; the batch packs two examples so the
 * segment mask and restarting positions are on the path.
 */
class GradientCheckTest {

    private static final double EPS = 1e-5;
    /** Relative, with an absolute floor for gradients near zero, where float64 rounding dominates. */
    private static final double TOLERANCE = 1e-4;
    private static final double FLOOR = 1e-9;

    @TempDir
    static Path dir;

    static Path modelDir;

    @BeforeAll
    static void writeModel() {
        modelDir = TinyLlamaWriter.write(dir.resolve("tiny"), TinyLlamaWriter.Spec.small());
    }

    @Test
    void loraGradientsMatchFiniteDifferences() {
        try (NDManager m = Djl.cpuManager(); LlamaModel model = LlamaModel.load(modelDir, m, DataType.FLOAT64)) {
            LoraModel lora = LoraModel.attach(model, new TrainSpec.Lora(4, 8, 0, List.of("q_proj", "v_proj", "down_proj"), true), 3);
            // B starts at zero, which would make A's gradient zero too; give B values so both are tested.
            SplittableRandom random = new SplittableRandom(9);
            for (Map.Entry<String, NDArray> e : lora.parameters().entrySet()) {
                if (e.getKey().contains("lora_B")) {
                    NDArray b = e.getValue();
                    double[] values = random.doubles(b.getShape().size(), -0.2, 0.2).toArray();
                    b.set(values);
                }
            }
            double worst = check(model, TrainableParameters.of(lora.parameters()), 3);
            System.err.println("LoRA gradient check: worst relative error " + worst);
        }
    }

    @Test
    void fullFineTuningGradientsMatchFiniteDifferences() {
        try (NDManager m = Djl.cpuManager(); LlamaModel model = LlamaModel.load(modelDir, m, DataType.FLOAT64)) {
            double worst = check(model, TrainableParameters.of(model.namedWeights()), 2);
            System.err.println("full gradient check: worst relative error " + worst);
        }
    }

    /**
     * Checks {@code perTensor} random entries of every trainable tensor; returns the worst relative error
     * (among gradients larger than {@code FLOOR / TOLERANCE}).
     */
    private static double check(LlamaModel model, TrainableParameters params, int perTensor) {
        List<TokenizedExample> examples = List.of(
                TokenizedExample.of(new long[] {5, 40, 77, 12, 99, 8},
                        new boolean[] {false, false, true, true, true, true}),
                TokenizedExample.of(new long[] {61, 3, 150, 42, 7},
                        new boolean[] {false, true, false, true, true}));
        Batch batch = Batch.of(List.of(new Row(List.of(0, 1)), new Row(List.of(1))), examples, 0);
        try (NDManager scratch = model.manager().newSubManager();
             GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            collector.backward(loss(model, batch, scratch));
        }
        SplittableRandom random = new SplittableRandom(17);
        double worst = 0;
        for (Map.Entry<String, NDArray> e : params.byName().entrySet()) {
            NDArray p = e.getValue();
            double[] grad;
            try (NDManager scratch = model.manager().newSubManager()) {
                grad = params.gradient(e.getKey(), scratch).toDoubleArray();
            }
            Shape shape = p.getShape();
            NDArray flat = p.reshape(shape.size());
            for (int k = 0; k < perTensor; k++) {
                int i = random.nextInt(Math.toIntExact(shape.size()));
                double original = flat.getDouble(i);
                flat.set(new NDIndex(i), original + EPS);
                double plus = lossValue(model, batch);
                flat.set(new NDIndex(i), original - EPS);
                double minus = lossValue(model, batch);
                flat.set(new NDIndex(i), original);
                double numeric = (plus - minus) / (2 * EPS);
                double scale = Math.max(Math.abs(numeric), Math.abs(grad[i]));
                double error = Math.abs(numeric - grad[i]);
                worst = Math.max(worst, error / Math.max(scale, FLOOR / TOLERANCE));
                assertTrue(error <= TOLERANCE * scale + FLOOR, e.getKey() + "[" + i + "]: backprop " + grad[i] + ", finite difference "
                        + numeric);
            }
        }
        params.zeroGradients();
        return worst;
    }

    private static NDArray loss(LlamaModel model, Batch batch, NDManager scratch) {
        return TokenLoss.nllSum(model, batch.toTensors(scratch)).div(batch.targetCount());
    }

    private static double lossValue(LlamaModel model, Batch batch) {
        try (NDManager scratch = model.manager().newSubManager()) {
            return loss(model, batch, scratch).getDouble();
        }
    }
}
