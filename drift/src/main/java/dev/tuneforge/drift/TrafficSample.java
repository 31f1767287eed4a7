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

    /** Collects observations; one builder per sample. */
    public static final class Builder {
        private final HashedNgrams ngrams;
        private final OutputValidity validity;
        private final VocabularyHistogram vocabulary;
        private final List<Observation> observations = new ArrayList<>();

        public Builder(HashedNgrams ngrams, OutputValidity validity, int vocabularySize) {
            this.ngrams = ngrams;
            this.validity = validity;
            this.vocabulary = new VocabularyHistogram(vocabularySize);
        }

        public Builder add(Observation observation) {
            vocabulary.add(observation.completionTokens());
            observations.add(observation);
            return this;
        }

        public TrafficSample build() {
            int n = observations.size();
            double[] promptLengths = new double[n];
            double[] completionLengths = new double[n];
            List<double[]> embeddings = new ArrayList<>();
            long valid = 0;
            long checked = 0;
            for (int i = 0; i < n; i++) {
                Observation o = observations.get(i);
                promptLengths[i] = o.promptTokens().length;
                completionLengths[i] = o.completionTokens().length;
                if (o.prompt().isPresent()) {
                    embeddings.add(ngrams.embed(o.prompt().get()));
                }
                if (o.completion().isPresent()) {
                    checked++;
                    if (validity.isValid(o.completion().get())) {
                        valid++;
                    }
                }
            }
            return new TrafficSample(promptLengths, completionLengths, vocabulary.counts(),
                    embeddings.toArray(double[][]::new), valid, checked);
        }
    }
}
