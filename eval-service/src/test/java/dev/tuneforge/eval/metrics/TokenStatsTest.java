package dev.tuneforge.eval.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TokenStatsTest {

    @Test
    void perplexityOfAUniformModelIsTheVocabularySize() {
        // A model uniform over V tokens has cross-entropy ln V per token, hence perplexity V.
        double lnV = Math.log(50257);
        assertEquals(50257, TokenStats.perplexity(new double[] {lnV, lnV}, new long[] {7, 300}), 1e-6);
    }

    @Test
    void lossIsWeightedByTokensNotByExamples() {
        // (1.0 * 10 + 3.0 * 30) / 40 = 2.5, whereas the unweighted mean would be 2.0
        assertEquals(2.5, TokenStats.meanLoss(new double[] {1.0, 3.0}, new long[] {10, 30}), 1e-15);
        assertEquals(Math.exp(2.5), TokenStats.perplexity(new double[] {1.0, 3.0, 99.0}, new long[] {10, 30, 0}),
                1e-12);
        assertThrows(IllegalArgumentException.class, () -> TokenStats.meanLoss(new double[] {1.0}, new long[] {0}));
    }

    @Test
    void tokenAccuracyPoolsTokens() {
        // 9/10 and 1/90 -> 10/100, not (0.9 + 0.011) / 2
        assertEquals(0.1, TokenStats.tokenAccuracy(new long[] {9, 1}, new long[] {10, 90}), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> TokenStats.tokenAccuracy(new long[] {11}, new long[] {10}));
    }
}
