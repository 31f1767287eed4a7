package dev.tuneforge.drift;

import java.util.Optional;

/**
 * One request and its answer as drift sees it: the token ids of the prompt and of the completion (the base model's
 * tokenizer), and optionally their texts. The gateway records text-free observations (lengths and ids only); then
 * the prompt embedding and output validity are left out of the window's tests rather than guessed.
 */
public record Observation(int[] promptTokens, int[] completionTokens, Optional<String> prompt,
                          Optional<String> completion) {

    public Observation {
        if (promptTokens == null || completionTokens == null) {
            throw new IllegalArgumentException("an observation needs its prompt and completion token ids");
        }
    }

    public static Observation withText(String prompt, int[] promptTokens, String completion, int[] completionTokens) {
        return new Observation(promptTokens, completionTokens, Optional.of(prompt), Optional.of(completion));
    }

    public static Observation textFree(int[] promptTokens, int[] completionTokens) {
        return new Observation(promptTokens, completionTokens, Optional.empty(), Optional.empty());
    }
}
