package dev.tuneforge.drift;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded synthetic traffic for the drift tests: prompts of 3-30 words from a topic's word list (each word one or two
 * token ids), completions whose length is log-normal and whose token ids follow a Zipf law over a vocabulary, a JSON
 * object as completion text, valid with a given probability (else cut off). {@link #drifted} changes every part.
 */
record SyntheticTraffic(String[] words, double meanLogCompletion, double validRate, int vocabulary,
                        double zipfExponent) {

    static final int VOCABULARY = 4000;

    static SyntheticTraffic training() {
        return new SyntheticTraffic(new String[] {"summarise", "the", "invoice", "for", "customer", "order", "total",
                "refund", "shipping", "address", "date", "please", "list", "items", "amount", "due", "in", "json"},
                3.5, 0.92, VOCABULARY, 1.1);
    }

    static SyntheticTraffic drifted() {
        return new SyntheticTraffic(new String[] {"write", "a", "poem", "about", "the", "moon", "and", "river",
                "in", "french", "verse", "with", "rhyme", "night", "song"}, 4.0, 0.75, VOCABULARY, 0.8);
    }

    TrafficSample sample(int observations, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        TrafficSample.Builder builder = new TrafficSample.Builder(new HashedNgrams(), new OutputValidity(), vocabulary);
        for (int i = 0; i < observations; i++) {
            builder.add(observation(random));
        }
        return builder.build();
    }

    Observation observation(SplittableRandom random) {
        int wordCount = 3 + random.nextInt(28);
        StringBuilder prompt = new StringBuilder();
        int[] promptTokens = new int[wordCount * 2];
        int t = 0;
        for (int w = 0; w < wordCount; w++) {
            int word = random.nextInt(words.length);
            if (w > 0) {
                prompt.append(' ');
            }
            prompt.append(words[word]);
            promptTokens[t++] = word;
            if (words[word].length() > 6) {
                promptTokens[t++] = 1000 + word;
            }
        }
        int completionLength = (int) Math.max(1, Math.round(Math.exp(meanLogCompletion + 0.5 * gaussian(random))));
        int[] completionTokens = new int[completionLength];
        for (int i = 0; i < completionLength; i++) {
            completionTokens[i] = zipf(random);
        }
        String completion = "{\"answer\": \"" + "x".repeat(completionLength % 17) + "\", \"tokens\": " + completionLength
                + "}";
        if (random.nextDouble() >= validRate) {
            completion = completion.substring(0, completion.length() - 1);
        }
        return Observation.withText(prompt.toString(), Arrays.copyOf(promptTokens, t), completion,
                completionTokens);
    }

    /** Inverse-CDF sampling of a continuous power law on [1, vocabulary + 1), shifted to ids from 0. */
    private int zipf(SplittableRandom random) {
        double u = random.nextDouble();
        double a = 1 - zipfExponent;
        double x = Math.pow(1 + u * (Math.pow(vocabulary + 1, a) - 1), 1 / a);
        return (int) Math.min(vocabulary - 1, Math.floor(x) - 1);
    }

    private static double gaussian(SplittableRandom random) {
        double u1 = 1 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
