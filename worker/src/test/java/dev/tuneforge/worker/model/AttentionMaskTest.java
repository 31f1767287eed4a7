package dev.tuneforge.worker.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.tuneforge.worker.Djl;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Packing and padding give each sequence exactly the logits it has alone. */
class AttentionMaskTest {

    @TempDir
    static Path dir;

    static NDManager manager;
    static LlamaModel model;

    @BeforeAll
    static void load() {
        manager = Djl.cpuManager();
        model = LlamaModel.load(TinyLlamaWriter.write(dir, TinyLlamaWriter.Spec.small()), manager);
    }

    @AfterAll
    static void close() {
        model.close();
        manager.close();
    }

    @Test
    void packedSequencesDoNotSeeEachOther() {
        try (NDManager m = manager.newSubManager()) {
            long[] a = {10, 20, 30, 40};
            long[] b = {50, 60, 70};
            NDArray alone1 = model.forward(m.create(a).reshape(1, 4));
            NDArray alone2 = model.forward(m.create(b).reshape(1, 3));

            NDArray packed = m.create(new long[] {10, 20, 30, 40, 50, 60, 70}).reshape(1, 7);
            NDArray positions = m.create(new long[] {0, 1, 2, 3, 0, 1, 2}).reshape(1, 7);
            NDArray segments = m.create(new long[] {1, 1, 1, 1, 2, 2, 2}).reshape(1, 7);
            NDArray logits = model.forward(packed, positions, AttentionMask.segments(segments));

            assertTrue(logits.get(new NDIndex(":, 0:4, :")).allClose(alone1, 1e-5, 1e-5, false));
            assertTrue(logits.get(new NDIndex(":, 4:7, :")).allClose(alone2, 1e-5, 1e-5, false));

            // Without the block-diagonal mask the second sequence would attend to the first.
            NDArray leaky = model.forward(packed, positions, AttentionMask.causal());
            assertTrue(!leaky.get(new NDIndex(":, 4:7, :")).allClose(alone2, 1e-5, 1e-5, false));
        }
    }

    @Test
    void rightPaddingLeavesRealTokensUnchangedInABatch() {
        try (NDManager m = manager.newSubManager()) {
            NDArray alone = model.forward(m.create(new long[] {7, 8}).reshape(1, 2));
            NDArray batch = m.create(new long[] {7, 8, 0, 9, 10, 11}).reshape(2, 3);
            NDArray keep = m.create(new long[] {1, 1, 0, 1, 1, 1}).reshape(2, 3);
            NDArray logits = model.forward(batch, null, AttentionMask.padding(keep));
            assertTrue(logits.get(new NDIndex("0:1, 0:2, :")).allClose(alone, 1e-5, 1e-5, false));
            NDArray explicit = model.forward(batch, null, AttentionMask.explicit(
                    m.create(new float[] {1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1}).reshape(2, 3, 3)));
            assertTrue(explicit.allClose(logits, 1e-5, 1e-5, false));
        }
    }
}
