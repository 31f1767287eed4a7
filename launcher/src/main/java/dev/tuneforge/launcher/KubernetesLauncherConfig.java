package dev.tuneforge.launcher;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link KubernetesLauncher} places workers on the GPU node pool. A service builds it from its own
 * configuration ({@code tuneforge.trainer.kubernetes.*}); every field but namespace, image, S3 endpoint, bucket
 * and credentials has a default.
 *
 * @param namespace            where Jobs, pods and Services are created (the service's own namespace)
 * @param image                the worker image: the runtime's command line must work in it
 * @param imagePullPolicy      {@code IfNotPresent} unless said otherwise
 * @param serviceAccount       the pods' service account, or null for the namespace's default
 * @param gpus                 {@code nvidia.com/gpu} per pod, as request and limit; 0 for none
 * @param nodeSelector         node labels a worker pod needs, e.g. {@code tuneforge.dev/pool: gpu}
 * @param tolerations          taints of the GPU node pool the pod tolerates
 * @param cpu                  CPU request of the worker container (a quantity), or null
 * @param memory               memory request and limit of the worker container, or null: with the limit, a
 *                             worker that outgrows it is OOMKilled (exit 137, reason {@code OOMKilled})
 *                             instead of the node evicting its neighbours
 * @param s3Endpoint           the S3 server as the pods reach it ({@code http://minio.tuneforge:9000})
 * @param s3Bucket             the bucket of every key an attempt names
 * @param s3CredentialsSecret  a Secret with {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY}, given to
 *                             the staging and sync containers only, never to the worker
 * @param stagingImage         image of the init and sync containers: {@code mc} and a POSIX shell with
 *                             coreutils ({@code sha256sum}, {@code sort}, {@code wc}, {@code cut})
 * @param activeDeadlineSeconds a Job running longer is stopped by Kubernetes (exit 137), or null for no limit
 * @param ttlSecondsAfterFinished how long a finished Job stays for a trainer to read its exit code
 * @param terminationGracePeriodSeconds time between SIGTERM and SIGKILL: the worker finishes its step and
 *                             writes a checkpoint, then the sidecar uploads it
 * @param rendezvousPort       torchrun's master port on node 0 of a multi-node Job
 * @param syncIntervalSeconds  how often the sidecar looks for new checkpoint directories
 * @param pollInterval         how often a {@link KubernetesWorker} looks at its Job and pods
 */
public record KubernetesLauncherConfig(String namespace, String image, String imagePullPolicy, String serviceAccount,
                                       int gpus, Map<String, String> nodeSelector, List<Toleration> tolerations,
                                       String cpu, String memory, String s3Endpoint, String s3Bucket,
                                       String s3CredentialsSecret, String stagingImage, Long activeDeadlineSeconds,
                                       int ttlSecondsAfterFinished, long terminationGracePeriodSeconds,
                                       int rendezvousPort, int syncIntervalSeconds, Duration pollInterval) {

    public static final String DEFAULT_STAGING_IMAGE = "minio/mc";

    /** A taint the pod tolerates ({@code operator} {@code Equal} or {@code Exists}; {@code value} null for Exists). */
    public record Toleration(String key, String operator, String value, String effect) { }

    public KubernetesLauncherConfig {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(s3Endpoint, "s3Endpoint");
        Objects.requireNonNull(s3Bucket, "s3Bucket");
        Objects.requireNonNull(s3CredentialsSecret, "s3CredentialsSecret");
        if (gpus < 0) {
            throw new IllegalArgumentException("gpus must be >= 0, got " + gpus);
        }
        imagePullPolicy = imagePullPolicy == null ? "IfNotPresent" : imagePullPolicy;
        nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
        tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
        stagingImage = stagingImage == null ? DEFAULT_STAGING_IMAGE : stagingImage;
        pollInterval = pollInterval == null ? Duration.ofSeconds(2) : pollInterval;
    }

    public static Builder builder(String namespace, String image) {
        return new Builder(namespace, image);
    }

    /** Defaults: no GPU, one day TTL after finishing, 5 minutes to stop, rendezvous on 29500, sync every 10 s. */
    public static final class Builder {
        private final String namespace;
        private final String image;
        private String imagePullPolicy;
        private String serviceAccount;
        private int gpus;
        private Map<String, String> nodeSelector = Map.of();
        private List<Toleration> tolerations = List.of();
        private String cpu;
        private String memory;
        private String s3Endpoint;
        private String s3Bucket;
        private String s3CredentialsSecret;
        private String stagingImage;
        private Long activeDeadlineSeconds;
        private int ttlSecondsAfterFinished = 86_400;
        private long terminationGracePeriodSeconds = 300;
        private int rendezvousPort = 29_500;
        private int syncIntervalSeconds = 10;
        private Duration pollInterval;

        private Builder(String namespace, String image) {
            this.namespace = namespace;
            this.image = image;
        }

        public Builder imagePullPolicy(String v) { imagePullPolicy = v; return this; }
        public Builder serviceAccount(String v) { serviceAccount = v; return this; }
        public Builder gpus(int v) { gpus = v; return this; }
        public Builder nodeSelector(Map<String, String> v) { nodeSelector = v; return this; }
        public Builder tolerations(List<Toleration> v) { tolerations = v; return this; }
        public Builder cpu(String v) { cpu = v; return this; }
        public Builder memory(String v) { memory = v; return this; }

        public Builder s3(String endpoint, String bucket, String credentialsSecret) {
            s3Endpoint = endpoint;
            s3Bucket = bucket;
            s3CredentialsSecret = credentialsSecret;
            return this;
        }

        public Builder stagingImage(String v) { stagingImage = v; return this; }
        public Builder activeDeadlineSeconds(Long v) { activeDeadlineSeconds = v; return this; }
        public Builder ttlSecondsAfterFinished(int v) { ttlSecondsAfterFinished = v; return this; }
        public Builder terminationGracePeriodSeconds(long v) { terminationGracePeriodSeconds = v; return this; }
        public Builder rendezvousPort(int v) { rendezvousPort = v; return this; }
        public Builder syncIntervalSeconds(int v) { syncIntervalSeconds = v; return this; }
        public Builder pollInterval(Duration v) { pollInterval = v; return this; }

        public KubernetesLauncherConfig build() {
            return new KubernetesLauncherConfig(namespace, image, imagePullPolicy, serviceAccount, gpus, nodeSelector,
                    tolerations, cpu, memory, s3Endpoint, s3Bucket, s3CredentialsSecret, stagingImage,
                    activeDeadlineSeconds, ttlSecondsAfterFinished, terminationGracePeriodSeconds, rendezvousPort,
                    syncIntervalSeconds, pollInterval);
        }
    }
}
