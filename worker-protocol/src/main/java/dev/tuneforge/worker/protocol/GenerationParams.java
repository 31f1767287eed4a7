package dev.tuneforge.worker.protocol;

import java.util.List;

/**
 * How to generate: the token budget and the sampling settings, shared by {@code worker evaluate}'s spec
 * and the serve API's requests. The order and meaning follow transformers' {@code generate}: logits are
 * divided by the temperature, cut to the {@code topK} most likely tokens, then to the smallest set whose
 * probability reaches {@code topP}, and sampled.
 *
 * @param maxNewTokens at most this many generated tokens; 0 generates nothing
 * @param temperature  0 for greedy decoding (the most likely token, no randomness)
 * @param topP         nucleus sampling threshold in {@code (0, 1]}; 1 keeps every token
 * @param topK         keep only the K most likely tokens, or null for no limit
 * @param seed         seeds the sampler, so the same seed gives the same text; null draws a random one
 * @param stop         generation ends when the text contains one of these; the text stops before it
 */
public record GenerationParams(int maxNewTokens, double temperature, double topP, Integer topK, Long seed,
                               List<String> stop) {

    public GenerationParams {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (topK != null && topK < 1) {
            throw new IllegalArgumentException("topK must be >= 1, got " + topK);
        }
        stop = List.copyOf(stop);
        if (stop.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("stop strings must not be empty");
        }
    }

    /** Greedy decoding, no stop strings: what evaluation did before sampling existed. */
    public static GenerationParams greedy(int maxNewTokens) {
        return new GenerationParams(maxNewTokens, 0, 1, null, null, List.of());
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public GenerationParams withMaxNewTokens(int tokens) {
        return new GenerationParams(tokens, temperature, topP, topK, seed, stop);
    }

    public GenerationParams withSeed(Long newSeed) {
        return new GenerationParams(maxNewTokens, temperature, topP, topK, newSeed, stop);
    }
}
