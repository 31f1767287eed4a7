package dev.tuneforge.worker.eval;

/**
 * One prompt's result.
 *
 * @param tokens       the generated token ids, without the stop token that ended them (a stop string's
 *                     tokens are included: they were generated)
 * @param text         the decoded text, special tokens skipped, cut before a stop string
 * @param finishReason why generation ended, in OpenAI's words
 */
public record Generation(long[] tokens, String text, FinishReason finishReason) {

    public enum FinishReason {
        /** An end-of-sequence token or a stop string. */
        STOP,
        /** The token budget or the model's context ran out. */
        LENGTH;

        /** {@code stop} or {@code length}, as OpenAI's {@code finish_reason}. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
