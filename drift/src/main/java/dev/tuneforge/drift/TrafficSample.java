package dev.tuneforge.drift;

import java.util.ArrayList;
import java.util.List;

/**
 * The features of a set of observations, as the window statistics read them: prompt and completion lengths in
 * tokens, the completions' token-id histogram, one {@link HashedNgrams} embedding per prompt with text, and how
 * many completions with text were valid ({@link OutputValidity}). A model version's baseline is one of these, made
 * from its training data; each window of traffic is another, made the same way.
 */
public record TrafficSample(double[] promptLengths, double[] completionLengths, long[] completionVocabulary,
                            double[][] promptEmbeddings, long validOutputs, long checkedOutputs) {

    public int size() {
        return promptLengths.length;
    }

    /**
     * Collects observations; one builder per sample. An observation with text is featurised here; one whose features
     * were derived elsewhere (the gateway's text-free lines: token counts, and whether the completion was valid) is
     * added with {@link #addDerived}, and adds nothing to the completion vocabulary (it has no token ids).
     */
    public static final class Builder {
        private final HashedNgrams ngrams;
        private final OutputValidity validity;
        private final VocabularyHistogram vocabulary;
        private final List<Row> rows = new ArrayList<>();

        /** One observation's features; a null embedding or validity: not known for it. */
        private record Row(int promptLength, int completionLength, double[] embedding, Boolean valid) { }

        public Builder(HashedNgrams ngrams, OutputValidity validity, int vocabularySize) {
            this.ngrams = ngrams;
            this.validity = validity;
            this.vocabulary = new VocabularyHistogram(vocabularySize);
        }

        public Builder add(Observation observation) {
            vocabulary.add(observation.completionTokens());
            rows.add(new Row(observation.promptTokens().length, observation.completionTokens().length,
                    observation.prompt().map(ngrams::embed).orElse(null),
                    observation.completion().map(validity::isValid).orElse(null)));
            return this;
        }

        /**
         * An observation known only by its features: its lengths in tokens, its prompt's {@link HashedNgrams}
         * embedding (null if not known; it must have this builder's dimensions) and whether its completion was valid
         * (null if not known).
         */
        public Builder addDerived(int promptLength, int completionLength, double[] promptEmbedding, Boolean valid) {
            if (promptLength < 0 || completionLength < 0) {
                throw new IllegalArgumentException("token counts must be >= 0 (got " + promptLength + ", "
                        + completionLength + ")");
            }
            if (promptEmbedding != null && promptEmbedding.length != ngrams.dimensions()) {
                throw new IllegalArgumentException("a prompt embedding of " + promptEmbedding.length
                        + " dimensions where this sample's have " + ngrams.dimensions());
            }
            rows.add(new Row(promptLength, completionLength, promptEmbedding, valid));
            return this;
        }

        public TrafficSample build() {
            int n = rows.size();
            double[] promptLengths = new double[n];
            double[] completionLengths = new double[n];
            List<double[]> embeddings = new ArrayList<>();
            long valid = 0;
            long checked = 0;
            for (int i = 0; i < n; i++) {
                Row row = rows.get(i);
                promptLengths[i] = row.promptLength();
                completionLengths[i] = row.completionLength();
                if (row.embedding() != null) {
                    embeddings.add(row.embedding());
                }
                if (row.valid() != null) {
                    checked++;
                    if (row.valid()) {
                        valid++;
                    }
                }
            }
            return new TrafficSample(promptLengths, completionLengths, vocabulary.counts(),
                    embeddings.toArray(double[][]::new), valid, checked);
        }
    }
}
