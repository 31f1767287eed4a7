package dev.tuneforge.gateway.openai;

import java.util.Map;

/**
 * An event of a fine-tuning job as OpenAI's API shows it ({@code object: "fine_tuning.job.event"}): {@code type}
 * {@code metrics} for a training step (its {@code data}: {@code step}, {@code train_loss}, {@code valid_loss},
 * {@code valid_mean_token_accuracy}, {@code total_steps}), {@code message} for everything else.
 *
 * @param level {@code info}, {@code warn} or {@code error}
 */
public record JobEvent(String id, String object, long createdAt, String level, String message,
                       Map<String, Object> data, String type) {
}
