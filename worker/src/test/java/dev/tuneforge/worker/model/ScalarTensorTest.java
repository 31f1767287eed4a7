package dev.tuneforge.worker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tuneforge.worker.Djl;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A constant autograd keeps for backward survives garbage collection between forward and backward.
 * Under this same pressure DJL's {@code x.mul(3f)} gives the gradient 9.3e29 instead of 3 (its
 * operand's buffer is freed and reused), which is how resumed runs used to drift from uninterrupted ones.
 */
class ScalarTensorTest {

    @Test
    void theGradientOfAProductWithAConstantIsRightAfterAGarbageCollection() throws Exception {
        try (NDManager manager = Djl.cpuManager()) {
            NDArray x = manager.create(new float[] {1, 2, 3});
            x.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray y = x.mul(ScalarTensor.of(x, 3f)).sum();
                collectAndReuseSmallDirectBuffers();
                collector.backward(y);
            }
            assertArrayEquals(new float[] {3, 3, 3}, x.getGradient().toFloatArray());
        }
    }

    @Test
    void theConstantHasTheDataTypeOfItsOperand() {
        try (NDManager manager = Djl.cpuManager()) {
            NDArray x = manager.create(new double[] {1, 2});
            assertArrayEquals(new double[] {0.5, 1}, x.mul(ScalarTensor.of(x, 0.5f)).toDoubleArray());
        }
    }

    /** Frees unreachable direct buffers and fills small fresh ones with 7, so freed memory gets reused. */
    private static void collectAndReuseSmallDirectBuffers() throws InterruptedException {
        List<ByteBuffer> fresh = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            System.gc();
            Thread.sleep(20);
            for (int j = 0; j < 200; j++) {
                fresh.add(ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putFloat(0, 7f));
            }
        }
    }
}
