package dev.tuneforge.launcher;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link KubernetesLauncher} places workers on the GPU node pool. A service builds it from its own
 * configuration ({@link KubernetesSettings}: {@code tuneforge.trainer.kubernetes.*}, {@code tuneforge.eval.kubernetes.*})
 * with {@link #from}; every field but namespace, image, S3 endpoint, bucket and credentials has a default.
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
 *                             worker that outgrows it is OOMKilled (exit KILLED, reason {@code OOMKilled})
 *                             instead of the node evicting its neighbours
 * @param s3Endpoint           the S3 server as the pods reach it ({@code http://minio.tuneforge:9000})
 * @param s3Bucket             the bucket of every key an attempt names
 * @param s3CredentialsSecret  a Secret with {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY}, given to
 *                             the staging and sync containers only, never to the worker
 * @param stagingImage         image of the init and sync containers: {@code mc} and a POSIX shell with
 *                             coreutils ({@code sha256sum}, {@code sort}, {@code wc}, {@code cut})
 * @param activeDeadlineSeconds a Job running longer is stopped by Kubernetes (exit KILLED), or null for no limit
 * @param ttlSecondsAfterFinished how long a finished Job stays for a trainer to read its exit code
 * @param terminationGracePeriodSeconds time between SIGTERM and SIGKILL: the worker finishes its step and
 *                             writes a checkpoint, then the sidecar uploads it
 * @param rendezvousPort       torchrun's master port on node 0 of a multi-node Job
 * @param syncIntervalSeconds  how often the sidecar looks for new checkpoint directories
 * @param pollInterval         how often a {@link KubernetesWorker} looks at its Job and pods
 * @param priorityClassName    the pods' PriorityClass, or null for the cluster's default
 * @param runtimeClassName     the pods' RuntimeClass (e.g. {@code nvidia}), or null for the node's default
 * @param runAsUser            the uid and gid of every container of the pod, {@code > 0}: the worker image's user
 * @param stallTimeout         a worker whose log is silent this long is stopped ({@link KubernetesWorker}), or null
 *                             for never
 */
public record KubernetesLauncherConfig(String namespace, String image, String imagePullPolicy, String serviceAccount,
                                       int gpus, Map<String, String> nodeSelector, List<Toleration> tolerations,
                                       String cpu, String memory, String s3Endpoint, String s3Bucket,
                                       String s3CredentialsSecret, String stagingImage, Long activeDeadlineSeconds,
                                       int ttlSecondsAfterFinished, long terminationGracePeriodSeconds,
                                       int rendezvousPort, int syncIntervalSeconds, Duration pollInterval,
                                       String priorityClassName, String runtimeClassName, long runAsUser,
                                       Duration stallTimeout) {

    public static final String DEFAULT_STAGING_IMAGE = "minio/mc";

    /** A taint the pod tolerates ({@code operator} {@code Equal} or {@code Exists}; {@code value} null for Exists). */
    public record Toleration(String key, String operator, String value, String effect) {

        /**
         * {@code key=value:Effect} (Equal), {@code key:Effect} (Exists), {@code key=value} or {@code key} (any
         * effect), as {@code kubectl taint} writes taints; {@code property} names the setting in errors.
         */
        public static Toleration parse(String entry, String property) {
            String s = entry.strip();
            String effect = null;
            int colon = s.lastIndexOf(':');
            if (colon >= 0) {
                effect = s.substring(colon + 1).strip();
                s = s.substring(0, colon).strip();
            }
            int eq = s.indexOf('=');
            if (s.isEmpty() || eq == 0 || (effect != null && effect.isEmpty())) {
                throw new IllegalStateException(property + ": expected key=value:Effect or key:Effect, got '"
                        + entry + "'");
            }
            return eq < 0 ? new Toleration(s, "Exists", null, effect)
                    : new Toleration(s.substring(0, eq), "Equal", s.substring(eq + 1), effect);
        }
    }

    public KubernetesLauncherConfig {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(s3Endpoint, "s3Endpoint");
        Objects.requireNonNull(s3Bucket, "s3Bucket");
        Objects.requireNonNull(s3CredentialsSecret, "s3CredentialsSecret");
        if (gpus < 0) {
            throw new IllegalArgumentException("gpus must be >= 0, got " + gpus);
        }
        if (runAsUser <= 0) {
            throw new IllegalArgumentException("runAsUser must be a user other than root (> 0), got " + runAsUser);
        }
        imagePullPolicy = imagePullPolicy == null ? "IfNotPresent" : imagePullPolicy;
        nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
        tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
        stagingImage = stagingImage == null ? DEFAULT_STAGING_IMAGE : stagingImage;
        pollInterval = pollInterval == null ? Duration.ofSeconds(2) : pollInterval;
    }

    /**
     * The configuration a service's {@link KubernetesSettings} describe.
     *
     * @param prefix         the settings' property prefix ({@code tuneforge.trainer.kubernetes}), for error messages
     * @param namespace      where Jobs go (the settings' namespace, or the client's)
     * @param s3Endpoint     the service's own S3 endpoint, used when the settings name none for the pods
     * @throws IllegalStateException naming the property that is missing or malformed
     */
    public static KubernetesLauncherConfig from(KubernetesSettings k, String prefix, String namespace,
                                                String s3Endpoint, String s3Bucket) {
        String image = k.image().orElseThrow(() -> new IllegalStateException(
                "the kubernetes launcher needs " + prefix + ".image (the worker image)"));
        Map<String, String> nodeSelector = new LinkedHashMap<>();
        for (String entry : k.nodeSelector().orElse(List.of())) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalStateException(prefix + ".node-selector: expected key=value, got '" + entry + "'");
            }
            nodeSelector.put(entry.substring(0, eq).strip(), entry.substring(eq + 1).strip());
        }
        List<Toleration> tolerations = new ArrayList<>();
        for (String entry : k.tolerations().orElse(List.of())) {
            tolerations.add(Toleration.parse(entry, prefix + ".tolerations"));
        }
        return builder(namespace, image)
                .imagePullPolicy(k.imagePullPolicy().orElse(null))
                .serviceAccount(k.serviceAccount().orElse(null))
                .gpus(k.gpus())
                .nodeSelector(nodeSelector)
                .tolerations(tolerations)
                .cpu(k.cpu().orElse(null))
                .memory(k.memory().orElse(null))
                .s3(k.s3Endpoint().orElse(s3Endpoint), s3Bucket, k.s3CredentialsSecret())
                .stagingImage(k.stagingImage())
                .activeDeadlineSeconds(k.activeDeadline().map(Duration::toSeconds).orElse(null))
                .ttlSecondsAfterFinished((int) k.ttlAfterFinished().toSeconds())
                .terminationGracePeriodSeconds(k.terminationGracePeriod().toSeconds())
                .rendezvousPort(k.rendezvousPort())
                .syncIntervalSeconds((int) Math.max(1, k.syncInterval().toSeconds()))
                .pollInterval(k.pollInterval())
                .priorityClassName(k.priorityClassName().orElse(null))
                .runtimeClassName(k.runtimeClassName().orElse(null))
                .runAsUser(k.runAsUser())
                .stallTimeout(k.stallTimeout())
                .build();
    }

    public static Builder builder(String namespace, String image) {
        return new Builder(namespace, image);
    }

    /**
     * Defaults: no GPU, one day TTL after finishing, 5 minutes to stop, rendezvous on 29500, sync every 10 s, no
     * priority or runtime class, user 1000, no stall timeout.
     */
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
        private String priorityClassName;
        private String runtimeClassName;
        private long runAsUser = 1000;
        private Duration stallTimeout;

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
        public Builder priorityClassName(String v) { priorityClassName = v; return this; }
        public Builder runtimeClassName(String v) { runtimeClassName = v; return this; }
        public Builder runAsUser(long v) { runAsUser = v; return this; }
        public Builder stallTimeout(Duration v) { stallTimeout = v; return this; }

        public KubernetesLauncherConfig build() {
            return new KubernetesLauncherConfig(namespace, image, imagePullPolicy, serviceAccount, gpus, nodeSelector,
                    tolerations, cpu, memory, s3Endpoint, s3Bucket, s3CredentialsSecret, stagingImage,
                    activeDeadlineSeconds, ttlSecondsAfterFinished, terminationGracePeriodSeconds, rendezvousPort,
                    syncIntervalSeconds, pollInterval, priorityClassName, runtimeClassName, runAsUser,
                    stallTimeout);
        }
    }
}
