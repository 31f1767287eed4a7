package dev.tuneforge.eval.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BootstrapTest {

    @Test
    void percentileInterpolatesLikeNumpy() {
        // np.percentile([1, 2, 3, 4], [2.5, 50, 97.5]) == [1.075, 2.5, 3.925]
        double[] v = {1, 2, 3, 4};
        assertEquals(1.075, Bootstrap.percentile(v, 2.5), 1e-12);
        assertEquals(2.5, Bootstrap.percentile(v, 50), 1e-12);
        assertEquals(3.925, Bootstrap.percentile(v, 97.5), 1e-12);
        assertEquals(4.0, Bootstrap.percentile(v, 100), 1e-12);
    }

    @Test
    void seededAndCloseToTheNormalApproximation() {
        double[] v = new double[100];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        Bootstrap.Interval a = Bootstrap.ci(v);
        assertEquals(a, Bootstrap.ci(v));
        assertNotEquals(a, Bootstrap.ci(v, 1000, 0.95, 7));
        assertEquals(49.5, a.estimate(), 1e-12);
        // Standard error of the mean = 28.866 / sqrt(100) = 2.887; 1.96 SE = 5.66.
        assertEquals(49.5 - 5.66, a.lower(), 0.8);
        assertEquals(49.5 + 5.66, a.upper(), 0.8);
    }

    @Test
    void constantValuesGiveAPointInterval() {
        Bootstrap.Interval i = Bootstrap.ci(new double[] {0.7, 0.7, 0.7});
        assertEquals(0.7, i.lower(), 1e-15);
        assertEquals(0.7, i.upper(), 1e-15);
    }

    @Test
    void corpusBleuIntervalBracketsTheCorpusScore() {
        Bootstrap.Interval i = Bootstrap.corpusBleuCi(ReferenceData.hyps(), ReferenceData.refs());
        double expected = ReferenceData.REFERENCE.get("corpus_bleu").get("score").asDouble();
        assertEquals(expected, i.estimate(), 1e-9);
        assertTrue(i.lower() < expected && expected < i.upper(), i.toString());
        assertTrue(i.upper() - i.lower() < 15, i.toString());
        assertEquals(i, Bootstrap.corpusBleuCi(ReferenceData.hyps(), ReferenceData.refs()));
    }
}
