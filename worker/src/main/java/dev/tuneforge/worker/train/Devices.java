package dev.tuneforge.worker.train;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** The spec's {@code device} as a DJL device: cpu, cuda, cuda:N, or auto (the first GPU if any). */
public final class Devices {

    private Devices() {
    }

    public static Device resolve(String name) {
        return switch (name) {
            case "cpu" -> Device.cpu();
            case "cuda" -> Device.gpu();
            case "auto" -> Engine.getEngine("PyTorch").getGpuCount() > 0 ? Device.gpu() : Device.cpu();
            default -> Device.gpu(Integer.parseInt(name.substring("cuda:".length())));
        };
    }
}
