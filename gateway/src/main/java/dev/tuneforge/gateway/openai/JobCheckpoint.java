package dev.tuneforge.gateway.openai;

import java.util.Map;

/**
 * A checkpoint of a fine-tuning job as OpenAI's API shows it ({@code object: "fine_tuning.job.checkpoint"}).
 * {@code fine_tuned_model_checkpoint} is a {@code model} for {@code /v1/chat/completions}: the weights of that step.
 *
 * @param metrics the training step's: {@code step}, {@code train_loss}, and {@code valid_loss},
 *                {@code valid_mean_token_accuracy} when that step was validated
 */
public record JobCheckpoint(String id, String object, long createdAt, String fineTunedModelCheckpoint,
                            String fineTuningJobId, Map<String, Object> metrics, long stepNumber) {
}
