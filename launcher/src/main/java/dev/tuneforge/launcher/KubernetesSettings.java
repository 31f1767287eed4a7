package dev.tuneforge.launcher;

import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where and how workers run as Kubernetes Jobs, as a service configures it: trainer-service under
 * {@code tuneforge.trainer.kubernetes.*}, eval-service under {@code tuneforge.eval.kubernetes.*} (each service's
 * config mapping extends this interface, so both read the same keys with the same defaults). See
 * docs/ARCHITECTURE.md, "Workers on Kubernetes"; {@link KubernetesLauncherConfig#from} turns it into the launcher's
 * configuration.
 */
public interface KubernetesSettings {

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

    /**
     * The worker pods' PriorityClass (deploy/k8s: {@code tuneforge-training}, below the model servers and never
     * preempting them); default: none, the cluster's default priority.
     */
    Optional<String> priorityClassName();

    /** The worker pods' RuntimeClass (deploy/k8s: {@code nvidia}, the GPU pool's container runtime); default: none. */
    Optional<String> runtimeClassName();

    /**
     * The uid and gid the worker pods run as, never root: the worker image's user ({@code deploy/images/worker-torch}:
     * 1000). Every container gets a read-only root filesystem, no privilege escalation and no capabilities;
     * {@code /work} and {@code /tmp} are emptyDirs.
     */
    @WithDefault("1000")
    long runAsUser();

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
    @WithDefault(KubernetesLauncherConfig.DEFAULT_STAGING_IMAGE)
    String stagingImage();

    /** A Job running longer is stopped by Kubernetes; default: no limit. */
    Optional<Duration> activeDeadline();

    @WithDefault("1d")
    Duration ttlAfterFinished();

    /** SIGTERM to SIGKILL: a training worker writes a checkpoint, the sidecar uploads it. */
    @WithDefault("300s")
    Duration terminationGracePeriod();

    @WithDefault("29500")
    int rendezvousPort();

    /** How often the sidecar uploads new directories the worker wrote. */
    @WithDefault("10s")
    Duration syncInterval();

    /**
     * A worker whose log shows no line for this long is stopped as a local worker is
     * ({@code tuneforge.<service>.worker.stall-timeout}): its Job is deleted (SIGTERM, a checkpoint) and the attempt
     * ends as a crash that says so. Workers print an event every step.
     */
    @WithDefault("30m")
    Duration stallTimeout();

    /** How often the service looks at a Job and its pods. */
    @WithDefault("2s")
    Duration pollInterval();

    /**
     * How long the service waits, after the worker reports a checkpoint, its output or its results, for the
     * sidecar's upload to be complete in S3 (its {@code manifest.json}).
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
