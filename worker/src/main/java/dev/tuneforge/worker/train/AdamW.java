package dev.tuneforge.worker.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW as {@code torch.optim.AdamW} computes it (single-tensor path): decoupled weight decay
 * {@code p *= 1 - lr*wd}, then {@code p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)} with bias
 * corrections {@code bc = 1 - beta^t}. The same operations in the same order, so results match
 * PyTorch's to rounding.
 */
public final class AdamW {

    public static final double BETA1 = 0.9;
    public static final double BETA2 = 0.999;
    public static final double EPS = 1e-8;

    private final TrainableParameters parameters;
    private final double weightDecay;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
    private long step;

    public AdamW(TrainableParameters parameters, double weightDecay, NDManager stateManager) {
        this.parameters = parameters;
        this.weightDecay = weightDecay;
        parameters.byName().forEach((name, p) -> {
            expAvg.put(name, stateManager.zeros(p.getShape(), p.getDataType()));
            expAvgSq.put(name, stateManager.zeros(p.getShape(), p.getDataType()));
        });
    }

    /** One update with the accumulated gradients; temporaries live in {@code scratch}. */
    public void step(double lr, NDManager scratch) {
        step++;
        double bc1 = 1 - Math.pow(BETA1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(BETA2, step));
        double stepSize = lr / bc1;
        for (Map.Entry<String, NDArray> e : parameters.byName().entrySet()) {
            String name = e.getKey();
            NDArray p = e.getValue();
            NDArray g = parameters.gradient(name, scratch);
            if (weightDecay != 0 && parameters.decayed().contains(name)) {
                p.muli(1 - lr * weightDecay);
            }
            NDArray m = expAvg.get(name);
            NDArray v = expAvgSq.get(name);
            // lerp, as torch does for the first moment: m += (g - m) * (1 - beta1)
            m.addi(g.sub(m).muli(1 - BETA1));
            v.muli(BETA2).addi(g.mul(g).muli(1 - BETA2));
            NDArray denom = v.sqrt().divi(bc2Sqrt).addi(EPS);
            p.subi(m.div(denom).muli(stepSize));
        }
    }

    public long stepCount() {
        return step;
    }

    public Map<String, NDArray> expAvg() {
        return expAvg;
    }

    public Map<String, NDArray> expAvgSq() {
        return expAvgSq;
    }

    /** Restores the state a checkpoint saved. */
    public void restore(long stepCount, Map<String, float[]> m, Map<String, float[]> v) {
        this.step = stepCount;
        expAvg.forEach((name, array) -> array.set(requireState(m, name)));
        expAvgSq.forEach((name, array) -> array.set(requireState(v, name)));
    }

    private static float[] requireState(Map<String, float[]> state, String name) {
        float[] values = state.get(name);
        if (values == null) {
            throw new IllegalArgumentException("the checkpoint's optimizer state lacks " + name);
        }
        return values;
    }
}
