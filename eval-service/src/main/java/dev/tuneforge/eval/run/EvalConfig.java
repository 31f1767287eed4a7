package dev.tuneforge.eval.run;

import dev.tuneforge.launcher.KubernetesSettings;
import dev.tuneforge.launcher.WorkerPlacement;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** {@code tuneforge.eval.*}: this instance's capacity (slots: one evaluation each, as training) and how it runs {@code worker evaluate}. */
@ConfigMapping(prefix = "tuneforge.eval")
public interface EvalConfig extends WorkerPlacement {

    /** The {@code kubernetes} launcher, the same settings as trainer-service's; unused by {@code local}. */
    Kubernetes kubernetes();

    interface Kubernetes extends KubernetesSettings {
    }

    /** Work directories of evaluations (staged models, held-out data, results). */
    @WithDefault("${java.io.tmpdir}/tuneforge-eval")
    String workDir();

    /** The djl worker's build directory (jar + worker.classpath); default: the worker module's target/. */
    Optional<String> djlHome();

    @WithDefault("1")
    int djlThreads();

    @WithDefault("2g")
    String djlMaxHeap();

    /** The Python interpreter of the torch runtime (local launcher). */
    @WithDefault("python3")
    String torchPython();

    /** BLAS/OpenMP threads for a torch worker, fixed as for djl. */
    @WithDefault("1")
    int torchThreads();

    /**
     * A shell command that makes {@link #torchPython()} when a local torch worker is about to start and it does not
     * exist ({@code bin/tuneforge up}: {@code bash <repo>/bin/tuneforge python-env}); run once, its output logged.
     */
    Optional<String> torchBootstrap();

    /** Longest generated answer per held-out example. */
    @WithDefault("128")
    int maxNewTokens();

    /**
     * How long a claim on a running evaluation lasts without renewal. While it runs it is renewed every third of this,
     * on a thread of its own, whatever the scheduling tick is doing.
     */
    @WithDefault("5m")
    Duration lease();

    /** What happens to a local worker that will not stop or has gone quiet. */
    Worker worker();

    interface Worker {
        /**
         * How long a local worker has after SIGTERM (sent when it has gone quiet) to exit before it gets SIGKILL. (A
         * Kubernetes Job's pods get {@code kubernetes.termination-grace-period}.)
         */
        @WithDefault("5m")
        Duration stopGrace();

        /**
         * A local worker that prints no line for this long is hung: it is stopped (SIGTERM, then SIGKILL after
         * {@link #stopGrace()}) and the evaluation tried again, as after any other failed try. Workers print an event
         * per example, so this only needs to outlast the slowest example, or loading the model before the first.
         */
        @WithDefault("30m")
        Duration stallTimeout();
    }

    /**
     * How long an evaluation waits for its dataset version's {@code DatasetReady} (another topic, so it may arrive
     * after {@code TrainingFinished}) before it fails for want of held-out data.
     */
    @WithDefault("10m")
    Duration datasetWait();

    /** Tries per evaluation before it is reported as failed. */
    @WithDefault("3")
    int maxAttempts();

    /** How often pending evaluations are looked for ({@code off} to drive by hand). */
    @WithDefault("1s")
    String tick();

    Optional<String> instanceId();
}
