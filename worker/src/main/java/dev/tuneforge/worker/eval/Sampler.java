package dev.tuneforge.worker.eval;

import dev.tuneforge.worker.protocol.GenerationParams;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits with temperature, top-k and top-p (nucleus) sampling,
 * in transformers' order. Runs on the host in double precision: a row is a few hundred kilobytes, small
 * next to a forward pass, and Java's {@link SplittableRandom} makes a seed reproducible on any machine.
 */
final class Sampler {

    private final double temperature;
    private final double topP;
    private final int topK;

    Sampler(GenerationParams params) {
        if (params.isGreedy()) {
            throw new IllegalArgumentException("greedy decoding takes the arg max, not a sampler");
        }
        this.temperature = params.temperature();
        this.topP = params.topP();
        this.topK = params.topK() == null ? Integer.MAX_VALUE : params.topK();
    }

    /** A token drawn from {@code logits[from, from + vocab)}. */
    int sample(float[] logits, int from, int vocab, SplittableRandom random) {
        int[] candidates = candidates(logits, from, vocab);
        double max = logits[from + candidates[0]];
        double[] weights = new double[candidates.length];
        double total = 0;
        for (int i = 0; i < candidates.length; i++) {
            weights[i] = Math.exp((logits[from + candidates[i]] - max) / temperature);
            total += weights[i];
        }
        int kept = candidates.length;
        if (topP < 1) {
            // The smallest prefix (most likely first) whose probability reaches top_p; the most likely
            // token always stays, so a tiny top_p is greedy.
            double cumulative = 0;
            for (int i = 0; i < candidates.length; i++) {
                cumulative += weights[i] / total;
                if (cumulative >= topP) {
                    kept = i + 1;
                    break;
                }
            }
        }
        double mass = 0;
        for (int i = 0; i < kept; i++) {
            mass += weights[i];
        }
        double u = random.nextDouble() * mass;
        for (int i = 0; i < kept - 1; i++) {
            u -= weights[i];
            if (u < 0) {
                return candidates[i];
            }
        }
        return candidates[kept - 1];
    }

    /**
     * Token ids by descending logit (ties: lower id first), cut to top-k. Each id is packed with an
     * order-preserving encoding of its logit into one long, so a primitive sort does the work (a vocabulary
     * is 30k-150k entries, sorted once per token). Without top-k or top-p only the maximum is needed first.
     */
    private int[] candidates(float[] logits, int from, int vocab) {
        if (topK == Integer.MAX_VALUE && topP >= 1) {
            int best = 0;
            for (int i = 1; i < vocab; i++) {
                if (logits[from + i] > logits[from + best]) {
                    best = i;
                }
            }
            int[] all = new int[vocab];
            all[0] = best;
            for (int i = 0, j = 1; i < vocab; i++) {
                if (i != best) {
                    all[j++] = i;
                }
            }
            return all;
        }
        long[] keys = new long[vocab];
        for (int i = 0; i < vocab; i++) {
            int bits = Float.floatToIntBits(logits[from + i]);
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
            keys[i] = ((long) ~ordered << 32) | i;
        }
        Arrays.sort(keys);
        int[] ids = new int[Math.min(vocab, topK)];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (int) keys[i];
        }
        return ids;
    }
}
