package dev.tuneforge.worker.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tuneforge.worker.Djl;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forward pass is differentiable end to end: a LoRA-shaped adapter on a frozen projection receives
 * a gradient from the language-model loss, and the frozen base weights do not.
 */
class AdapterGradientTest {

    @TempDir
    Path dir;

    /** {@code scale * B(A x)} with B zero-initialised, as LoRA starts. */
    record LowRank(NDArray a, NDArray b, float scale) implements LinearAdapter {
        @Override
        public NDArray forward(NDArray x) {
            return x.matMul(a.transpose()).matMul(b.transpose()).mul(scale);
        }

        @Override
        public void close() {
            a.close();
            b.close();
        }
    }

    @Test
    void lossBackpropagatesIntoAnAdapterButNotTheFrozenBase() {
        try (NDManager manager = Djl.cpuManager();
             LlamaModel model = LlamaModel.load(TinyLlamaWriter.write(dir, TinyLlamaWriter.Spec.small()), manager)) {
            Linear q = model.layers().get(0).attention().qProj();
            NDManager m = manager.newSubManager();
            NDArray ids = m.create(new long[] {5, 6, 7, 8, 9, 10}).reshape(1, 6);
            NDArray before = model.forward(ids);

            NDArray a = m.randomNormal(new Shape(4, q.inFeatures())).mul(0.1f);
            NDArray b = m.zeros(new Shape(q.outFeatures(), 4));
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            q.setAdapter(new LowRank(a, b, 2f));

            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray logits = model.forward(ids);
                assertTrue(logits.allClose(before, 1e-6, 1e-6, false), "a zero B leaves the model unchanged");
                NDArray loss = CausalLmLoss.tokenNll(logits.get(new NDIndex(":, :-1, :")),
                        ids.get(new NDIndex(":, 1:"))).mean();
                collector.backward(loss);
            }
            assertTrue(b.getGradient().abs().sum().getFloat() > 0, "B receives a gradient");
            assertFalse(q.weight().hasGradient(), "the base weight stays frozen");
            q.setAdapter(null).close();
            m.close();
        }
    }
}
