package dev.tuneforge.worker.data;

/**
 * One example as token ids and next-token targets: {@code targets[t]} is the token the model should
 * predict after reading {@code inputIds[0..t]}, or {@link #IGNORE} where no loss is taken (prompt
 * tokens, the last position). Targets never reach across examples, which is what lets packing put
 * several examples in one row.
 */
public record TokenizedExample(long[] inputIds, long[] targets) {

    /** transformers' ignore index. */
    public static final long IGNORE = -100;

    /** @param trained whether each token is one the model learns to produce */
    public static TokenizedExample of(long[] ids, boolean[] trained) {
        long[] targets = new long[ids.length];
        for (int t = 0; t < ids.length; t++) {
            targets[t] = t + 1 < ids.length && trained[t + 1] ? ids[t + 1] : IGNORE;
        }
        return new TokenizedExample(ids, targets);
    }

    public int length() {
        return inputIds.length;
    }

    /** Positions that carry a loss. */
    public int trainedTokens() {
        int n = 0;
        for (long t : targets) {
            if (t != IGNORE) {
                n++;
            }
        }
        return n;
    }
}
