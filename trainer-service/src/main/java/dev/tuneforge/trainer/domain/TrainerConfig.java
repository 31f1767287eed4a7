package dev.tuneforge.trainer.domain;

import dev.tuneforge.launcher.KubernetesSettings;
import dev.tuneforge.launcher.WorkerPlacement;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** {@code tuneforge.trainer.*}: this instance's capacity (slots: one job each) and how it runs workers. */
@ConfigMapping(prefix = "tuneforge.trainer")
public interface TrainerConfig extends WorkerPlacement {

    /** The {@code kubernetes} launcher ({@code KubernetesLauncherConfig}); unused by {@code local}. */
    Kubernetes kubernetes();

    /** Where attempts get their work directories (inputs staged from S3, worker output). */
    @WithDefault("${java.io.tmpdir}/tuneforge-trainer")
    String workDir();

    /**
     * How long a lease on a running job lasts without renewal; another instance may take the job after. This instance
     * renews the leases of its jobs every third of it, on a timer of its own, whatever the scheduling tick is doing.
     */
    @WithDefault("30s")
    Duration lease();

    /** Launches per job before it fails: a crashed worker is retried from its last checkpoint. */
    @WithDefault("3")
    int maxAttempts();

    /** At most this many progress events per job (every step for short jobs). */
    @WithDefault("500")
    int maxProgressPoints();

    /** A job whose dataset version is not known this long after the request fails. */
    @WithDefault("10m")
    Duration validationTimeout();

    /** This instance's name in leases and attempts; default: host name and a random suffix per start. */
    Optional<String> instanceId();

    /**
     * The runtime of a job whose request names none ({@code djl} or {@code torch}). A job runs only on slots of its
     * runtime, every attempt of it.
     */
    @WithDefault("djl")
    String defaultRuntime();

    /** How often the scheduler looks at the queue ({@code off} in tests that drive it by hand). */
    @WithDefault("1s")
    String tick();

    /** Runtimes. */
    Worker worker();

    interface Worker {
        /** The djl worker's build directory (jar + worker.classpath); default: the worker module's target/. */
        Optional<String> djlHome();

        /** BLAS threads for a djl worker. */
        @WithDefault("1")
        int djlThreads();

        @WithDefault("2g")
        String djlMaxHeap();

        /** The Python interpreter for the torch runtime. */
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

        /**
         * How long a local worker has after SIGTERM (cancel, pause, shutdown, a stall) to write its checkpoint and exit
         * before it gets SIGKILL. (A Kubernetes Job's pods get {@code kubernetes.termination-grace-period}.)
         */
        @WithDefault("5m")
        Duration stopGrace();

        /**
         * A local worker that prints no line for this long is hung: it is stopped (SIGTERM, then SIGKILL after
         * {@link #stopGrace()}) and its attempt retried from the last checkpoint as a crash. Workers print an event every
         * step, so this only needs to outlast the slowest step, or loading the model before the first.
         */
        @WithDefault("30m")
        Duration stallTimeout();
    }

    /**
     * Where and how attempts run as Jobs ({@code tuneforge.trainer.kubernetes.*}, the keys every service's
     * Kubernetes launcher reads); see docs/ARCHITECTURE.md, "Workers on Kubernetes".
     */
    interface Kubernetes extends KubernetesSettings {
    }
}
