package dev.tuneforge.drift;

/**
 * How often each token id of the base model's vocabulary occurs in a sample's completions (or prompts): a dense
 * count per id in [0, vocabularySize). Jensen-Shannon compares two of them. Ids outside the vocabulary are a
 * caller's bug (a different tokenizer) and are refused, so a histogram never silently mixes two vocabularies.
 */
public final class VocabularyHistogram {

    private final long[] counts;
    private long total;

    public VocabularyHistogram(int vocabularySize) {
        if (vocabularySize < 1) {
            throw new IllegalArgumentException("a vocabulary histogram needs a vocabulary size >= 1 (got "
                    + vocabularySize + ")");
        }
        this.counts = new long[vocabularySize];
    }

    public void add(int[] tokenIds) {
        for (int id : tokenIds) {
            if (id < 0 || id >= counts.length) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of size "
                        + counts.length + " (was the sample tokenized with another tokenizer?)");
            }
        }
        for (int id : tokenIds) {
            counts[id]++;
        }
        total += tokenIds.length;
    }

    public int vocabularySize() {
        return counts.length;
    }

    /** Tokens counted so far. */
    public long total() {
        return total;
    }

    /** A copy of the counts, indexed by token id. */
    public long[] counts() {
        return counts.clone();
    }
}
