package dev.tuneforge.eval.metrics;

/**
 * Aggregation of the worker's per-example token-level outputs. A per-example mean loss is a mean
 * over that example's target tokens, so the corpus loss weights each example by its token count:
 * {@code L = sum(loss_i * n_i) / sum(n_i)}, and perplexity is {@code exp(L)} (Jelinek et al., 1977;
 * the definition used by Hugging Face's "Perplexity of fixed-length models" guide). Token accuracy
 * is likewise {@code sum(correct_i) / sum(n_i)}, not a mean of per-example ratios.
 */
public final class TokenStats {

    private TokenStats() {
    }

    /** Token-weighted mean of per-example mean losses (natural log). */
    public static double meanLoss(double[] meanLossPerExample, long[] tokensPerExample) {
        requireSameLength(meanLossPerExample.length, tokensPerExample.length);
        double weighted = 0.0;
        long tokens = 0;
        for (int i = 0; i < meanLossPerExample.length; i++) {
            if (tokensPerExample[i] < 0) {
                throw new IllegalArgumentException("negative token count at " + i);
            }
            if (tokensPerExample[i] == 0) {
                continue;
            }
            weighted += meanLossPerExample[i] * tokensPerExample[i];
            tokens += tokensPerExample[i];
        }
        if (tokens == 0) {
            throw new IllegalArgumentException("no tokens to average over");
        }
        return weighted / tokens;
    }

    /** {@code exp} of the {@link #meanLoss token-weighted mean loss}. */
    public static double perplexity(double[] meanLossPerExample, long[] tokensPerExample) {
        return Math.exp(meanLoss(meanLossPerExample, tokensPerExample));
    }

    /** Correct tokens over all tokens. */
    public static double tokenAccuracy(long[] correctPerExample, long[] tokensPerExample) {
        requireSameLength(correctPerExample.length, tokensPerExample.length);
        long correct = 0;
        long tokens = 0;
        for (int i = 0; i < correctPerExample.length; i++) {
            if (correctPerExample[i] < 0 || correctPerExample[i] > tokensPerExample[i]) {
                throw new IllegalArgumentException("correct tokens out of range at " + i);
            }
            correct += correctPerExample[i];
            tokens += tokensPerExample[i];
        }
        if (tokens == 0) {
            throw new IllegalArgumentException("no tokens to average over");
        }
        return (double) correct / tokens;
    }

    private static void requireSameLength(int a, int b) {
        if (a != b) {
            throw new IllegalArgumentException("arrays differ in length: " + a + " vs " + b);
        }
    }
}
