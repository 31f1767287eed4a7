package dev.tuneforge.dataset.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tuneforge.events.TokenStats;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenHistogramTest {

    @Test
    void lengthsFallInPowerOfTwoBucketsUpToTheLongestExampleAndTheContextWindowEndsTheLast() {
        TokenHistogram histogram = new TokenHistogram(100);
        for (int tokens : new int[] {0, 16, 17, 32, 33, 64, 65, 100, 250}) {
            histogram.add(tokens);
        }
        TokenStats stats = histogram.stats();
        assertEquals(List.of(new TokenStats.Bucket(16, 2), new TokenStats.Bucket(32, 2), new TokenStats.Bucket(64, 2),
                new TokenStats.Bucket(100, 3)), stats.histogram(), "250 tokens is truncated to the window, 100");
        assertEquals(9, stats.histogram().stream().mapToLong(TokenStats.Bucket::examples).sum());
        assertEquals(1, stats.truncated());
    }

    @Test
    void bucketsStopAtTheOneHoldingTheLongestExample() {
        TokenHistogram histogram = new TokenHistogram(4096);
        histogram.add(3);
        histogram.add(40);
        assertEquals(List.of(new TokenStats.Bucket(16, 1), new TokenStats.Bucket(32, 0), new TokenStats.Bucket(64, 1)),
                histogram.stats().histogram());
    }

    @Test
    void aWindowBelowTheFirstBucketIsOneBucket() {
        TokenHistogram histogram = new TokenHistogram(8);
        histogram.add(2);
        histogram.add(9);
        assertEquals(List.of(new TokenStats.Bucket(8, 2)), histogram.stats().histogram());
    }
}
