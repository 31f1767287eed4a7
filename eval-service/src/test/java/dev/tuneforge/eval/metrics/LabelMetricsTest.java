package dev.tuneforge.eval.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LabelMetricsTest {

    @Test
    void macroAveragesMatchTheScikitLearnDocumentationExample() {
        // sklearn.metrics.precision_recall_fscore_support docs:
        // y_true = [cat, dog, pig, cat, dog, pig], y_pred = [cat, pig, dog, cat, cat, dog],
        // average='macro' -> (0.22..., 0.33..., 0.26..., None).
        // Confusion: cat tp=2 fp=1 fn=0 (P=2/3, R=1, F=0.8); dog and pig tp=0 (P=R=F=0).
        LabelMetrics m = LabelMetrics.of(
                List.of("cat", "pig", "dog", "cat", "cat", "dog"),
                List.of("cat", "dog", "pig", "cat", "dog", "pig"));
        assertEquals(2.0 / 9, m.macroPrecision(), 1e-15);
        assertEquals(1.0 / 3, m.macroRecall(), 1e-15);
        assertEquals(0.8 / 3, m.macroF1(), 1e-15);
        assertEquals(2.0 / 6, m.accuracy(), 1e-15);
        assertEquals(List.of("cat", "dog", "pig"), List.copyOf(m.perLabel().keySet()));
        assertEquals(new LabelMetrics.PerLabel(2.0 / 3, 1.0, 0.8, 2), m.perLabel().get("cat"));
    }

    @Test
    void handComputedConfusionMatrixWithAnUnseenPredictedLabel() {
        // gold:  pos pos pos neg neg neu
        // pred:  pos pos neg neg pos spam
        // pos: tp2 fp1 fn1 -> P 2/3 R 2/3 F 2/3; neg: tp1 fp1 fn1 -> 1/2 1/2 1/2;
        // neu: tp0 fn1 -> 0; spam (only predicted): fp1 -> 0. Labels sorted: neg neu pos spam.
        LabelMetrics m = LabelMetrics.of(
                List.of("pos", "pos", "neg", " neg", "pos", "spam"),
                List.of("pos", "pos", "pos", "neg", "neg", "neu"));
        assertEquals(3.0 / 6, m.accuracy(), 1e-15);
        assertEquals((0.5 + 0 + 2.0 / 3 + 0) / 4, m.macroPrecision(), 1e-15);
        assertEquals((0.5 + 0 + 2.0 / 3 + 0) / 4, m.macroRecall(), 1e-15);
        assertEquals((0.5 + 0 + 2.0 / 3 + 0) / 4, m.macroF1(), 1e-15);
        assertEquals(0, m.perLabel().get("spam").support());
    }
}
