package dev.tuneforge.worker;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

/** The NDManager tests compute with: PyTorch on CPU, as in CI. */
public final class Djl {

    private Djl() {
    }

    public static NDManager cpuManager() {
        return NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }
}
