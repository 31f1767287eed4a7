package dev.tuneforge.trainer.domain;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code tuneforge.trainer.*}: this instance's capacity and how it runs workers. */
@ConfigMapping(prefix = "tuneforge.trainer")
public interface TrainerConfig {

    /**
     * The slots of this instance, {@code name:runtime} (e.g. {@code cpu-0:djl,gpu-0:torch}): one job per slot.
     * With the local launcher they are this node's devices; with {@code kubernetes}, capacity units of the GPU
     * node pool (each a Job of {@code kubernetes.gpus} GPUs), shared by every instance that has them.
     */
    @WithDefault("cpu-0:djl")
    List<String> slots();

    /** How workers run: {@code local} (a process per slot) or {@code kubernetes} (a Job per attempt). */
    @WithDefault("local")
    Launcher launcher();

    enum Launcher { LOCAL, KUBERNETES }

    /** The {@code kubernetes} launcher ({@code KubernetesLauncherConfig}); unused by {@code local}. */
    Kubernetes kubernetes();

    /** Where attempts get their work directories (inputs staged from S3, worker output). */
    @WithDefault("${java.io.tmpdir}/tuneforge-trainer")
    String workDir();

    /** How long a lease on a running job lasts without renewal; another instance may take the job after. */
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
    }

    /** Where and how attempts run as Jobs; see docs/ARCHITECTURE.md, "Workers on Kubernetes". */
    interface Kubernetes {
        /** The API server; default: in-cluster (the pod's service account) or the kubeconfig. */
        Optional<String> masterUrl();

        /** Where Jobs are created; default: the client's namespace (in-cluster: the service's own). */
        Optional<String> namespace();

        /** The worker image (required with {@code launcher=kubernetes}). */
        Optional<String> image();

        Optional<String> imagePullPolicy();

        /** The worker pods' service account; default: the namespace's default. */
        Optional<String> serviceAccount();

        /** {@code nvidia.com/gpu} per Job (per node of a multi-node Job); 0 for CPU pods. */
        @WithDefault("1")
        int gpus();

        /** Pods per attempt: more than one runs torch under torchrun in an Indexed Job. */
        @WithDefault("1")
        int nodes();

        /** Node labels, {@code key=value} (e.g. {@code tuneforge.dev/pool=gpu}). */
        Optional<List<String>> nodeSelector();

        /**
         * Taints the pods tolerate, as {@code kubectl taint} writes them: {@code key=value:Effect} (Equal) or
         * {@code key:Effect} (Exists), e.g. {@code nvidia.com/gpu:NoSchedule}.
         */
        Optional<List<String>> tolerations();

        /** CPU request of the worker container. */
        Optional<String> cpu();

        /** Memory request and limit of the worker container. */
        Optional<String> memory();

        /** The S3 server as pods reach it; default: {@code tuneforge.s3.endpoint}. */
        Optional<String> s3Endpoint();

        /** A Secret with {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY} for the staging and sync containers. */
        @WithDefault("tuneforge-s3")
        String s3CredentialsSecret();

        /** Image of the staging and sync containers (mc and a POSIX shell). */
        @WithDefault("minio/mc")
        String stagingImage();

        /** A Job running longer is stopped by Kubernetes; default: no limit. */
        Optional<Duration> activeDeadline();

        @WithDefault("1d")
        Duration ttlAfterFinished();

        /** SIGTERM to SIGKILL: the worker writes a checkpoint, the sidecar uploads it. */
        @WithDefault("300s")
        Duration terminationGracePeriod();

        @WithDefault("29500")
        int rendezvousPort();

        /** How often the sidecar uploads new checkpoint directories. */
        @WithDefault("10s")
        Duration syncInterval();

        /** How often the trainer looks at a Job and its pods. */
        @WithDefault("2s")
        Duration pollInterval();

        /**
         * How long the trainer waits, after the worker reports a checkpoint or its output, for the sidecar's
         * upload to be complete in S3 (its {@code manifest.json}).
         */
        @WithDefault("2m")
        Duration uploadWait();

        /** The djl runtime in the worker image: its {@code java} and classpath. */
        @WithDefault("java")
        String djlJava();

        @WithDefault("/opt/tuneforge/worker/lib/*")
        String djlClasspath();

        /** The torch runtime in the worker image. */
        @WithDefault("python")
        String torchPython();
    }
}
