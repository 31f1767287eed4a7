package dev.tuneforge.worker.train;

import dev.tuneforge.worker.data.Row;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * What a run minimises and how it validates: the mean token loss of the chat, completion and alpaca formats
 * ({@link TokenObjective}), or DPO's pair loss ({@link DpoObjective}). {@link Trainer} does the rest the same for
 * both: the plan, clipping, the optimizer, checkpoints, early stopping and events.
 */
sealed interface Objective permits TokenObjective, DpoObjective {

    /** Training items (examples, or pairs), as the plan's rows index them. */
    int trainSize();

    /** Validation items; 0 without validation data. */
    int validationSize();

    /**
     * Forward and backward passes of one optimizer step, one per micro-batch, accumulating into the trainable
     * weights' gradients a loss normalised over the whole step; {@code beforeMicroBatch} runs before each.
     */
    StepLoss backward(List<List<Row>> microBatches, IntConsumer beforeMicroBatch);

    /** Validation without gradients, dropout off. */
    Validated validate();

    /**
     * @param loss           the step's loss (mean over its target tokens, or over its pairs)
     * @param tokens         tokens processed, padding excluded
     * @param rewardAccuracy DPO only, else null
     * @param rewardMargin   DPO only, else null
     */
    record StepLoss(double loss, int tokens, Double rewardAccuracy, Double rewardMargin) { }

    /** A validation's results; the rewards for DPO only. */
    record Validated(double loss, double tokenAccuracy, Double rewardAccuracy, Double rewardMargin) { }
}
