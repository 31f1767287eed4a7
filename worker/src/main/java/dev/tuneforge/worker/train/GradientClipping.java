package dev.tuneforge.worker.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * {@code torch.nn.utils.clip_grad_norm_}: scales every gradient by
 * {@code min(1, maxNorm / (totalNorm + 1e-6))}, the total being the L2 norm over all of them.
 */
public final class GradientClipping {

    private GradientClipping() {
    }

    /** Clips in place (unless {@code maxNorm} is 0) and returns the norm before clipping. */
    public static double clip(TrainableParameters parameters, double maxNorm, NDManager scratch) {
        double sumSquares = 0;
        for (String name : parameters.byName().keySet()) {
            NDArray g = parameters.gradient(name, scratch);
            double norm = g.norm().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
            sumSquares += norm * norm;
        }
        double total = Math.sqrt(sumSquares);
        if (maxNorm > 0) {
            double coefficient = Math.min(1.0, maxNorm / (total + 1e-6));
            for (String name : parameters.byName().keySet()) {
                parameters.gradient(name, scratch).muli(coefficient);
            }
        }
        return total;
    }
}
