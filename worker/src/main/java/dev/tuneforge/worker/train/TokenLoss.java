package dev.tuneforge.worker.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.tuneforge.worker.data.Batch;
import dev.tuneforge.worker.model.CausalLmLoss;
import dev.tuneforge.worker.model.LlamaModel;

/**
 * The loss of a batch as a sum over its target tokens. Training divides the sum by the target tokens
 * of the whole optimizer step (every micro-batch), so the loss is "mean over tokens" however the
 * tokens are split into rows, micro-batches or packed sequences, as transformers does with
 * {@code num_items_in_batch}.
 */
public final class TokenLoss {

    private TokenLoss() {
    }

    /** Forward pass and summed negative log-likelihood over the target tokens (a scalar, differentiable). */
    public static NDArray nllSum(LlamaModel model, Batch.Tensors batch) {
        return summed(model, batch).nllSum();
    }

    /** Summed loss and how many target tokens the model predicts exactly (greedy), without gradients. */
    public static Sums evaluate(LlamaModel model, Batch.Tensors batch) {
        return summed(model, batch);
    }

    private static Sums summed(LlamaModel model, Batch.Tensors batch) {
        Sums tokens = perToken(model, batch);
        return new Sums(tokens.nllSum().sum(), tokens.correct().sum());
    }

    /** {@code [B, T]}: each target's negative log-likelihood (0 elsewhere), and 1 where greedy predicts it. */
    private static Sums perToken(LlamaModel model, Batch.Tensors batch) {
        NDArray logits = model.forward(batch.inputIds(), batch.positions(), batch.mask());
        NDArray valid = batch.targets().gte(0);
        // Ignored targets (-100) are pointed at token 0 for the gather, then masked out.
        NDArray safe = batch.targets().mul(valid.toType(DataType.INT64, false));
        NDArray nll = CausalLmLoss.tokenNll(logits, safe).mul(valid.toType(logits.getDataType(), false));
        NDArray correct = logits.argMax(-1).eq(batch.targets()).logicalAnd(valid);
        return new Sums(nll, correct.toType(DataType.INT64, false));
    }

    /**
     * Forward pass and, per row, the summed log-probability of its target tokens ({@code [rows]}, differentiable
     * when gradients are recorded) and how many of them the model predicts exactly (greedy): a DPO answer's
     * {@code logp} when the row is one prompt and answer.
     */
    public static RowSums perRow(LlamaModel model, Batch.Tensors batch) {
        Sums tokens = perToken(model, batch);
        return new RowSums(tokens.nllSum().sum(new int[] {1}).neg(), tokens.correct().sum(new int[] {1}));
    }

    /** @param nllSum summed loss, @param correct count of exactly predicted target tokens (per token: unsummed) */
    public record Sums(NDArray nllSum, NDArray correct) { }

    /** @param logp {@code [rows]} summed target log-probabilities, @param correct {@code [rows]} exact predictions */
    public record RowSums(NDArray logp, NDArray correct) { }
}
