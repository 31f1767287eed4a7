package dev.tuneforge.worker.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tuneforge.worker.Djl;
import dev.tuneforge.worker.protocol.TrainSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** AdamW, clipping and the schedules against values worked out by hand. */
class AdamWTest {

    @Test
    void twoAdamWStepsMatchTheFormulaWithDecoupledDecayAndBiasCorrection() {
        try (NDManager m = Djl.cpuManager()) {
            NDArray bias = m.create(new float[] {0.25f});
            Map<String, NDArray> named = new LinkedHashMap<>();
            named.put("w", m.create(new float[][] {{0.5f, -1.0f, 2.0f}}));
            named.put("b", bias);
            TrainableParameters params = TrainableParameters.of(named);
            AdamW adam = new AdamW(params, 0.1, m.newSubManager());
            double lr = 0.01;
            double[] pw = {0.5, -1.0, 2.0};
            double[] mw = new double[3];
            double[] vw = new double[3];
            double pb = 0.25;
            double mb = 0;
            double vb = 0;
            for (int t = 1; t <= 2; t++) {
                // loss = sum(w^2) + 3b: gradients 2w and 3.
                try (NDManager scratch = m.newSubManager();
                     GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                    c.backward(named.get("w").square().sum().add(named.get("b").mul(3).sum()));
                }
                try (NDManager scratch = m.newSubManager()) {
                    adam.step(lr, scratch);
                }
                params.zeroGradients();
                double bc1 = 1 - Math.pow(0.9, t);
                double bc2 = 1 - Math.pow(0.999, t);
                for (int i = 0; i < 3; i++) {
                    double g = 2 * pw[i];
                    pw[i] *= 1 - lr * 0.1;
                    mw[i] = 0.9 * mw[i] + 0.1 * g;
                    vw[i] = 0.999 * vw[i] + 0.001 * g * g;
                    pw[i] -= lr * (mw[i] / bc1) / (Math.sqrt(vw[i] / bc2) + 1e-8);
                }
                // Biases (1-D) are not decayed, as in transformers.
                mb = 0.9 * mb + 0.1 * 3;
                vb = 0.999 * vb + 0.001 * 9;
                pb -= lr * (mb / bc1) / (Math.sqrt(vb / bc2) + 1e-8);
            }
            float[] got = named.get("w").toFloatArray();
            for (int i = 0; i < 3; i++) {
                assertEquals(pw[i], got[i], 1e-6, "w[" + i + "]");
            }
            assertEquals(pb, bias.toFloatArray()[0], 1e-6);
            assertEquals(2, adam.stepCount());
        }
    }

    @Test
    void clippingScalesAllGradientsByTheGlobalNorm() {
        try (NDManager m = Djl.cpuManager()) {
            Map<String, NDArray> named = new LinkedHashMap<>();
            named.put("a", m.create(new float[] {3f, 0f}));
            named.put("b", m.create(new float[] {0f, 4f}));
            TrainableParameters params = TrainableParameters.of(named);
            try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                // gradients (3, 0) and (0, 4): global norm 5
                c.backward(named.get("a").square().sum().div(2).add(named.get("b").square().sum().div(2)));
            }
            try (NDManager scratch = m.newSubManager()) {
                assertEquals(5.0, GradientClipping.clip(params, 1.0, scratch), 1e-6);
                assertArrayEquals(new float[] {0.6f, 0f}, params.gradient("a", scratch).toFloatArray(), 1e-6f);
                assertArrayEquals(new float[] {0f, 0.8f}, params.gradient("b", scratch).toFloatArray(), 1e-6f);
            }
        }
    }

    @Test
    void schedulesWarmUpLinearlyThenDecayAsTransformersDoes() {
        LrSchedule linear = new LrSchedule(TrainSpec.LrScheduler.LINEAR, 1.0, 10, 110);
        assertEquals(0.0, linear.at(0));
        assertEquals(0.5, linear.at(5), 1e-12);
        assertEquals(1.0, linear.at(10), 1e-12);
        assertEquals(0.5, linear.at(60), 1e-12);
        assertEquals(0.0, linear.at(110), 1e-12);
        LrSchedule cosine = new LrSchedule(TrainSpec.LrScheduler.COSINE, 2.0, 0, 100);
        assertEquals(2.0, cosine.at(0), 1e-12);
        assertEquals(1.0, cosine.at(50), 1e-12);
        assertEquals(2.0 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), cosine.at(25), 1e-12);
        assertEquals(0.0, cosine.at(100), 1e-12);
        LrSchedule constant = new LrSchedule(TrainSpec.LrScheduler.CONSTANT, 3.0, 4, 100);
        assertEquals(1.5, constant.at(2), 1e-12);
        assertEquals(3.0, constant.at(99), 1e-12);
    }
}
