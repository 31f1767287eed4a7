package dev.tuneforge.launcher;

import io.smallrye.config.WithDefault;
import java.util.List;

/**
 * Where a service runs its workers, the same keys for trainer-service ({@code tuneforge.trainer.*}: one job per
 * slot) and eval-service ({@code tuneforge.eval.*}: one evaluation per slot); their config mappings extend it.
 */
public interface WorkerPlacement {

    /** How workers run: a process per slot on this node, or a Job per worker on the GPU node pool. */
    enum Launcher { LOCAL, KUBERNETES }

    /**
     * The slots of this instance, {@code name:runtime} (e.g. {@code cpu-0:djl,gpu-0:torch}; see {@link WorkerSlots}):
     * one worker per slot at a time. With the local launcher they are this node's devices; with {@code kubernetes},
     * capacity units of the GPU node pool (each a Job of {@code kubernetes.gpus} GPUs).
     */
    @WithDefault("cpu-0:djl")
    List<String> slots();

    /** {@code local} (default) or {@code kubernetes} (configured by {@code kubernetes.*}, {@link KubernetesSettings}). */
    @WithDefault("local")
    Launcher launcher();
}
