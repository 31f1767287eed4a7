package dev.tuneforge.dataset.validation;

import dev.tuneforge.events.TokenStats;

import java.util.ArrayList;
import java.util.List;

/**
 * Exact token-count percentiles in bounded memory: a histogram over 0..contextWindow, with longer
 * examples counted at the window (they are truncated to it) and their true maximum kept aside.
 */
final class TokenHistogram {

    private final int contextWindow;
    private final long[] counts;
    private long examples;
    private long total;
    private int min = Integer.MAX_VALUE;
    private int max;
    private int truncated;

    TokenHistogram(int contextWindow) {
        this.contextWindow = contextWindow;
        this.counts = new long[contextWindow + 1];
    }

    /** @return true if the example is longer than the context window */
    boolean add(int tokens) {
        examples++;
        min = Math.min(min, tokens);
        max = Math.max(max, tokens);
        boolean tooLong = tokens > contextWindow;
        if (tooLong) {
            truncated++;
        }
        int billed = Math.min(tokens, contextWindow);
        total += billed;
        counts[billed]++;
        return tooLong;
    }

    long billedTokens() {
        return total;
    }

    TokenStats stats() {
        if (examples == 0) {
            return new TokenStats(0, 0, 0, 0, 0, 0);
        }
        return new TokenStats(min, percentile(0.50), percentile(0.95), max, total, truncated, buckets());
    }

    /** The smallest bucket's upper bound; each next one doubles it, the last is the context window. */
    static final int FIRST_BUCKET = 16;

    /**
     * Counts per length bucket, powers of two from {@value #FIRST_BUCKET} up to the context window (the last bucket
     * ends there, holding the truncated examples too), until the bucket holding the longest example.
     */
    private List<TokenStats.Bucket> buckets() {
        List<TokenStats.Bucket> buckets = new ArrayList<>();
        int longest = Math.min(max, contextWindow);
        int from = 0;
        int upTo = Math.min(FIRST_BUCKET, contextWindow);
        while (true) {
            long examplesIn = 0;
            for (int tokens = from; tokens <= upTo; tokens++) {
                examplesIn += counts[tokens];
            }
            buckets.add(new TokenStats.Bucket(upTo, examplesIn));
            if (upTo >= longest) {
                return buckets;
            }
            from = upTo + 1;
            upTo = (int) Math.min(2L * upTo, contextWindow);
        }
    }

    /** Nearest-rank percentile over the billed (truncated) lengths. */
    private int percentile(double p) {
        long rank = (long) Math.ceil(p * examples);
        long seen = 0;
        for (int tokens = 0; tokens < counts.length; tokens++) {
            seen += counts[tokens];
            if (seen >= rank) {
                return tokens;
            }
        }
        return contextWindow;
    }
}
