package dev.tuneforge.worker.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tuneforge.worker.Djl;
import org.junit.jupiter.api.Test;

/**
 * The pair loss against its formula, {@code -(1 - eps) log sigmoid(r) - eps log sigmoid(-r)} with
 * {@code r = beta * ((pc - rc) - (pr - rr))}, worked out in double precision; stable where {@code exp(|r|)}
 * overflows float32; and its gradient, {@code dL/dpc = -beta * ((1 - eps) sigmoid(-r) - eps sigmoid(r))}.
 */
class DpoLossTest {

    private static double expected(double r, double eps) {
        return (1 - eps) * Math.log1p(Math.exp(-r)) + eps * Math.log1p(Math.exp(r));
    }

    @Test
    void theLossOfEachPairIsTheSmoothedSigmoidLossOfItsScaledLogRatioMargin() {
        try (NDManager m = Djl.cpuManager()) {
            float[] chosen = {-10f, -3f, -7.5f};
            float[] rejected = {-12f, -3f, -2f};
            float[] refChosen = {-11f, -4f, -7f};
            float[] refRejected = {-11f, -2f, -5f};
            for (double eps : new double[] {0.0, 0.1}) {
                DpoLoss.Pairs p = new DpoLoss(0.5, eps).of(m.create(chosen), m.create(rejected), m.create(refChosen),
                        m.create(refRejected));
                float[] losses = p.losses().toFloatArray();
                float[] rewards = p.rewards().toFloatArray();
                for (int i = 0; i < chosen.length; i++) {
                    double r = 0.5 * ((chosen[i] - refChosen[i]) - (rejected[i] - refRejected[i]));
                    assertEquals(r, rewards[i], 1e-6);
                    assertEquals(expected(r, eps), losses[i], 1e-6, "pair " + i + ", eps " + eps);
                }
            }
        }
    }

    @Test
    void pairsWithHugeMarginsCostNothingOrTheirMarginNeverInfinityOrNaN() {
        try (NDManager m = Djl.cpuManager()) {
            DpoLoss.Pairs p = new DpoLoss(1.0, 0.0).of(m.create(new float[] {0f, -500f}),
                    m.create(new float[] {-500f, 0f}), m.create(new float[] {0f, 0f}), m.create(new float[] {0f, 0f}));
            assertArrayEquals(new float[] {0f, 500f}, p.losses().toFloatArray(), 1e-4f);
        }
    }

    @Test
    void theGradientOfTheChosenLogProbabilityIsMinusBetaTimesTheSmoothedSigmoid() {
        try (NDManager m = Djl.cpuManager()) {
            NDArray chosen = m.create(new float[] {-3f});
            chosen.setRequiresGradient(true);
            double beta = 0.25;
            double eps = 0.2;
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                DpoLoss.Pairs p = new DpoLoss(beta, eps).of(chosen, m.create(new float[] {-4f}),
                        m.create(new float[] {-5f}), m.create(new float[] {-4f}));
                collector.backward(p.losses().sum());
            }
            double r = beta * 2;
            double sigmoid = 1 / (1 + Math.exp(-r));
            assertEquals(-beta * ((1 - eps) * (1 - sigmoid) - eps * sigmoid), chosen.getGradient().getFloat(), 1e-6);
        }
    }
}
