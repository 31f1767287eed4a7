package dev.tuneforge.events;

/** Tokens per example with the base model's tokenizer and chat template. */
public record TokenStats(int min, int p50, int p95, int max, long total, int truncated) {
}
