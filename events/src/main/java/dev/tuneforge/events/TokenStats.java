package dev.tuneforge.events;

import java.util.List;

/**
 * Tokens per example with the base model's tokenizer and chat template.
 *
 * @param truncated examples longer than the base model's context window; they count at the window
 * @param histogram how many examples fall in each length bucket, in order; null in events written before it
 */
public record TokenStats(int min, int p50, int p95, int max, long total, int truncated, List<Bucket> histogram) {

    public TokenStats {
        histogram = histogram == null ? null : List.copyOf(histogram);
    }

    /** Without a histogram. */
    public TokenStats(int min, int p50, int p95, int max, long total, int truncated) {
        this(min, p50, p95, max, total, truncated, null);
    }

    /**
     * Examples whose (truncated) length is above the previous bucket's {@code upTo} and at most this one's; the first
     * bucket starts at 0.
     */
    public record Bucket(int upTo, long examples) {
    }
}
