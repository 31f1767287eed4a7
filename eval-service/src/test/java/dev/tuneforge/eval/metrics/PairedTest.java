package dev.tuneforge.eval.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PairedTest {

    @Test
    void countsWinsLossesAndTies() {
        Paired.Comparison c = Paired.compare(new double[] {1, 0.5, 0.2, 0.3}, new double[] {0, 0.5, 0.4, 0.3});
        assertEquals(new Paired.Comparison(1, 1, 2, (1 + 0 - 0.2 + 0) / 4), c);
        assertEquals(0.25, c.winRate(), 1e-15);
    }

    @Test
    void toleranceTurnsSmallDifferencesIntoTies() {
        Paired.Comparison c = Paired.compare(new double[] {0.51, 0.9}, new double[] {0.5, 0.5}, 0.05);
        assertEquals(1, c.wins());
        assertEquals(1, c.ties());
        assertArrayEquals(new double[] {0.01, 0.4}, Paired.deltas(new double[] {0.51, 0.9}, new double[] {0.5, 0.5}),
                1e-12);
        assertThrows(IllegalArgumentException.class, () -> Paired.compare(new double[] {1}, new double[] {}));
    }
}
