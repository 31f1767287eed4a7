package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Per-token negative log-likelihood of next-token prediction, as transformers' causal LM loss. */
public final class CausalLmLoss {

    private CausalLmLoss() {
    }

    /**
     * {@code -log softmax(logits)[target]} for every position.
     *
     * @param logits  {@code [B, T, vocab]}
     * @param targets {@code [B, T]} token ids, already shifted so that position t holds token t+1
     * @return {@code [B, T]} float32
     */
    public static NDArray tokenNll(NDArray logits, NDArray targets) {
        NDArray logProbs = logits.logSoftmax(-1);
        NDArray index = targets.toType(DataType.INT64, false).expandDims(-1);
        return logProbs.gather(index, -1).squeeze(-1).neg();
    }
}
