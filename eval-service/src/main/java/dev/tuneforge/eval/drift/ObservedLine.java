package dev.tuneforge.eval.drift;

import dev.tuneforge.tokenizer.ChatMessage;
import java.time.Instant;
import java.util.List;

/**
 * One line of an observation object as the gateway writes it (docs/ARCHITECTURE.md, <i>Observations</i>), with what
 * drift reads of it. A text-free line ({@code observations.raw_text=false}) has no messages and no completion, only
 * the token counts the server reported (null when it did not) and the features the gateway derived.
 *
 * @param messages   the prompt's messages, null on a text-free line
 * @param completion the completion, null on a text-free line
 * @param jsonValid       {@code features.completion_json_valid}
 * @param promptEmbedding {@code features.prompt_embedding} (a text-free line's {@code HashedNgrams} vector of its
 *                        prompt, written sparse) as a dense vector; null when the line has none
 */
public record ObservedLine(Instant time, List<ChatMessage> messages, String completion, Integer promptTokens,
                           Integer completionTokens, boolean jsonValid, double[] promptEmbedding) {

    public boolean hasText() {
        return messages != null;
    }
}
