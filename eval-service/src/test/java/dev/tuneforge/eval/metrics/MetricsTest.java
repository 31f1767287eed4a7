package dev.tuneforge.eval.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsTest {

    @Test
    void exactMatchIgnoresOnlySurroundingWhitespace() {
        assertTrue(Metrics.exactMatch("  Paris\n", "Paris"));
        assertTrue(Metrics.exactMatch("\u00a0Paris\t", "Paris"));
        assertFalse(Metrics.exactMatch("paris", "Paris"));
        assertFalse(Metrics.exactMatch("Paris.", "Paris"));
        assertFalse(Metrics.exactMatch("New  York", "New York"));
    }

    @Test
    void exactMatchRateAndMean() {
        assertEquals(2.0 / 3, Metrics.exactMatchRate(List.of("a", " b ", "c"), List.of("a", "b", "d")), 1e-15);
        assertEquals(0.0, Metrics.exactMatchRate(List.of(), List.of()));
        assertEquals(2.0, Metrics.mean(new double[] {1, 2, 3}), 1e-15);
    }
}
