package dev.tuneforge.launcher;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpecBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Kubernetes objects of one attempt: a batch/v1 Job (an Indexed Job with a headless Service when it runs
 * on several nodes). Pure functions of the configuration and the attempt, so tests read them without a server.
 *
 * <p>The pod: init container {@value #STAGE} (stages the inputs from S3 and writes {@code spec.json}), the sync
 * sidecar {@value #SYNC} (a native sidecar: an init container with {@code restartPolicy: Always}, Kubernetes
 * 1.29 or later, so the pod completes when the worker does and the sidecar gets SIGTERM only after the worker
 * has exited) and the {@value #WORKER} container, all sharing the emptyDir {@code /work}. Every container runs as
 * the configured non-root user on a read-only root filesystem, without privilege escalation or capabilities, under
 * the runtime's default seccomp profile (the Pod Security Standard "restricted"); what it writes goes to
 * {@code /work}, {@code /tmp} (its own emptyDir, shared) or, for {@code mc}, {@code /mc}.
 */
public final class KubernetesManifests {

    public static final String PART_OF = "app.kubernetes.io/part-of";
    public static final String JOB_ID = "tuneforge.dev/job-id";
    public static final String ATTEMPT = "tuneforge.dev/attempt";
    /** Set by the Job controller on the pods of an Indexed Job. */
    public static final String COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
    public static final String WORKER = "worker";
    public static final String STAGE = "stage";
    public static final String SYNC = "sync";
    public static final String GPU = "nvidia.com/gpu";
    /** Room for {@code -<index>} in a pod's host name (63 characters at most). */
    static final int MAX_NAME = 52;
    private static final String MC = "/mc";
    private static final String TMP = "/tmp";

    private final KubernetesLauncherConfig config;

    public KubernetesManifests(KubernetesLauncherConfig config) {
        this.config = config;
    }

    /**
     * {@code tf-<job id>-<attempt>}, lower-cased, characters outside {@code [a-z0-9-]} replaced by {@code -}; a job
     * id too long for {@value #MAX_NAME} characters is cut and given a hash of the whole id, so names stay unique.
     */
    public static String jobName(String jobId, int attempt) {
        String suffix = "-" + attempt;
        String id = dnsLabel(jobId);
        int room = MAX_NAME - "tf-".length() - suffix.length();
        if (!id.equals(jobId) || id.length() > room) {
            // cut or changed: the hash of the whole id keeps two such ids apart
            String hash = sha256(jobId).substring(0, 8);
            id = trimDashes(id.substring(0, Math.min(id.length(), room - hash.length() - 1))) + "-" + hash;
        }
        return "tf-" + id + suffix;
    }

    /** The labels of the Job, its pods and its Service; {@link KubernetesLauncher#find} looks Jobs up by them. */
    public static Map<String, String> labels(String jobId, int attempt) {
        Map<String, String> labels = new TreeMap<>();
        labels.put(PART_OF, "tuneforge");
        labels.put("app.kubernetes.io/name", "tuneforge-worker");
        labels.put(JOB_ID, labelValue(jobId));
        labels.put(ATTEMPT, Integer.toString(attempt));
        return labels;
    }

    public Job job(KubernetesAttempt attempt) {
        String name = jobName(attempt.jobId(), attempt.attempt());
        Map<String, String> labels = labels(attempt.jobId(), attempt.attempt());
        boolean multiNode = attempt.nodes() > 1;
        WorkerCommand runtime = multiNode
                ? withEnv(WorkerCommand.torchrun(attempt.nodes(), Math.max(1, config.gpus()), "$(NODE_RANK)",
                        "$(MASTER_ADDR)", "$(MASTER_PORT)"), attempt.runtime().env())
                : attempt.runtime();

        List<EnvVar> workerEnv = new ArrayList<>();
        new TreeMap<>(runtime.env()).forEach((k, v) -> workerEnv.add(env(k, v)));
        if (multiNode) {
            workerEnv.add(new EnvVarBuilder().withName("NODE_RANK").withNewValueFrom().withNewFieldRef()
                    .withFieldPath("metadata.annotations['" + COMPLETION_INDEX + "']").endFieldRef().endValueFrom()
                    .build());
            workerEnv.add(env("NNODES", Integer.toString(attempt.nodes())));
            workerEnv.add(env("MASTER_ADDR", name + "-0." + name));
            workerEnv.add(env("MASTER_PORT", Integer.toString(config.rendezvousPort())));
        }
        ResourceRequirementsBuilder resources = new ResourceRequirementsBuilder();
        if (config.gpus() > 0) {
            Quantity gpus = new Quantity(Integer.toString(config.gpus()));
            resources.addToRequests(GPU, gpus).addToLimits(GPU, gpus);
        }
        if (config.cpu() != null) {
            resources.addToRequests("cpu", new Quantity(config.cpu()));
        }
        if (config.memory() != null) {
            resources.addToRequests("memory", new Quantity(config.memory()))
                    .addToLimits("memory", new Quantity(config.memory()));
        }
        ContainerBuilder worker = new ContainerBuilder()
                .withName(WORKER)
                .withImage(config.image())
                .withImagePullPolicy(config.imagePullPolicy())
                .withCommand(attempt.commandLine(runtime))
                .withWorkingDir(KubernetesAttempt.WORKDIR)
                .withEnv(workerEnv)
                .withResources(resources.build())
                .withSecurityContext(restricted())
                .addNewVolumeMount().withName("work").withMountPath(KubernetesAttempt.WORKDIR).endVolumeMount()
                .addNewVolumeMount().withName("tmp").withMountPath(TMP).endVolumeMount();
        if (config.gpus() > 0) {
            // NCCL and DataLoader workers use shared memory; the container runtime's default is 64 MiB
            worker.addNewVolumeMount().withName("dshm").withMountPath("/dev/shm").endVolumeMount();
        }

        PodSpecBuilder pod = new PodSpecBuilder()
                .withRestartPolicy("Never")
                .withServiceAccountName(config.serviceAccount())
                .withEnableServiceLinks(false)
                .withTerminationGracePeriodSeconds(config.terminationGracePeriodSeconds())
                .withNodeSelector(config.nodeSelector().isEmpty() ? null : new TreeMap<>(config.nodeSelector()))
                .withPriorityClassName(config.priorityClassName())
                .withRuntimeClassName(config.runtimeClassName())
                .withNewSecurityContext()
                .withRunAsNonRoot(true).withRunAsUser(config.runAsUser()).withRunAsGroup(config.runAsUser())
                .withFsGroup(config.runAsUser())
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .withInitContainers(stageContainer(attempt), syncContainer(attempt))
                .withContainers(worker.build())
                .addToVolumes(new VolumeBuilder().withName("work").withNewEmptyDir().endEmptyDir().build())
                .addToVolumes(new VolumeBuilder().withName("mc").withNewEmptyDir().endEmptyDir().build())
                .addToVolumes(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
        for (KubernetesLauncherConfig.Toleration t : config.tolerations()) {
            pod.addToTolerations(new TolerationBuilder().withKey(t.key()).withOperator(t.operator())
                    .withValue(t.value()).withEffect(t.effect()).build());
        }
        if (config.gpus() > 0) {
            pod.addToVolumes(new VolumeBuilder().withName("dshm").withNewEmptyDir().withMedium("Memory").endEmptyDir()
                    .build());
        }
        if (multiNode) {
            pod.withSubdomain(name);
        }

        JobSpecBuilder spec = new JobSpecBuilder()
                .withBackoffLimit(0)
                .withActiveDeadlineSeconds(config.activeDeadlineSeconds())
                .withTtlSecondsAfterFinished(config.ttlSecondsAfterFinished())
                .withNewTemplate()
                .withNewMetadata().withLabels(labels).endMetadata()
                .withSpec(pod.build())
                .endTemplate();
        if (multiNode) {
            spec.withCompletionMode("Indexed").withCompletions(attempt.nodes()).withParallelism(attempt.nodes());
        }
        return new JobBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(config.namespace())
                .withLabels(labels)
                .addToAnnotations(JOB_ID, attempt.jobId())
                .addToAnnotations("tuneforge.dev/runtime", attempt.runtime().runtime())
                .endMetadata()
                .withSpec(spec.build())
                .build();
    }

    /**
     * The headless Service of a multi-node Job: it gives pod {@code i} the name {@code <job>-i.<job>}, so every
     * node finds node 0 ({@code MASTER_ADDR}). Not-ready pods are published: node 0 must be reachable while
     * the others are still starting. Owned by the Job, so deleting the Job deletes it.
     */
    public Service service(Job job) {
        String name = job.getMetadata().getName();
        Map<String, String> labels = job.getMetadata().getLabels();
        return new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(config.namespace())
                .withLabels(labels)
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("Job")
                        .withName(name).withUid(job.getMetadata().getUid()).build())
                .endMetadata()
                .withNewSpec()
                .withClusterIP("None")
                .withPublishNotReadyAddresses(true)
                .withSelector(labels)
                .addNewPort().withName("rendezvous").withPort(config.rendezvousPort()).endPort()
                .endSpec()
                .build();
    }

    /**
     * The staging script: writes {@code $WORK/spec.json} from {@code $TUNEFORGE_SPEC} (an env var of this
     * container rather than a ConfigMap, so the whole attempt is one object: nothing to create in order, nothing
     * left behind by a crash between two creations) and copies each input: a prefix with {@code mc mirror}, an object with
     * {@code mc cp}. Stops at the first failure; the pod then fails before the worker starts.
     */
    public String stagingScript(KubernetesAttempt attempt) {
        StringBuilder s = new StringBuilder("set -eu\n")
                .append("mc alias set s3 \"$S3_ENDPOINT\" \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" > /dev/null\n")
                .append("printf '%s' \"$TUNEFORGE_SPEC\" > \"$WORK/spec.json\"\n");
        for (KubernetesAttempt.Input in : attempt.inputs()) {
            String target = "\"$WORK\"/" + quote(in.path());
            String source = "\"s3/$S3_BUCKET\"/" + quote(in.key());
            if (in.isPrefix()) {
                s.append("mkdir -p ").append(target).append('\n')
                        .append("mc mirror --quiet ").append(source).append(' ').append(target).append('\n');
            } else {
                String parent = in.path().contains("/") ? in.path().substring(0, in.path().lastIndexOf('/')) : "";
                s.append("mkdir -p \"$WORK\"").append(parent.isEmpty() ? "" : "/" + quote(parent)).append('\n')
                        .append("mc cp --quiet ").append(source).append(' ').append(target).append('\n');
            }
        }
        return s.toString();
    }

    /** The sync sidecar's script (resource {@code checkpoint-sync.sh}). */
    public static String syncScript() {
        try (InputStream in = KubernetesManifests.class.getResourceAsStream("checkpoint-sync.sh")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Container stageContainer(KubernetesAttempt attempt) {
        List<EnvVar> env = new ArrayList<>(s3Env());
        env.add(env("WORK", KubernetesAttempt.WORKDIR));
        env.add(env("TUNEFORGE_SPEC", attempt.spec()));
        return storageContainer(STAGE, stagingScript(attempt), env).build();
    }

    private Container syncContainer(KubernetesAttempt attempt) {
        List<EnvVar> env = new ArrayList<>(s3Env());
        env.add(env("WORK", KubernetesAttempt.WORKDIR));
        env.add(env("SYNC_INTERVAL", Integer.toString(config.syncIntervalSeconds())));
        if (attempt.checkpointPrefix() != null) {
            env.add(env("CHECKPOINT_PREFIX", attempt.checkpointPrefix()));
        }
        if (attempt.outputPrefix() != null) {
            env.add(env("OUTPUT_PREFIX", attempt.outputPrefix()));
        }
        return storageContainer(SYNC, syncScript(), env).withRestartPolicy("Always").build();
    }

    private ContainerBuilder storageContainer(String name, String script, List<EnvVar> env) {
        return new ContainerBuilder()
                .withName(name)
                .withImage(config.stagingImage())
                .withImagePullPolicy(config.imagePullPolicy())
                .withCommand("/bin/sh", "-c", literal(script))
                .withEnv(env)
                .addNewEnvFrom().withNewSecretRef().withName(config.s3CredentialsSecret()).endSecretRef().endEnvFrom()
                .withSecurityContext(restricted())
                .addToVolumeMounts(new VolumeMountBuilder().withName("work").withMountPath(KubernetesAttempt.WORKDIR)
                        .build())
                .addToVolumeMounts(new VolumeMountBuilder().withName("mc").withMountPath(MC).build())
                .addToVolumeMounts(new VolumeMountBuilder().withName("tmp").withMountPath(TMP).build());
    }

    /** A container's part of "restricted": the pod's part (non-root user, seccomp) is set on the pod. */
    private static SecurityContext restricted() {
        return new SecurityContextBuilder()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .build();
    }

    private List<EnvVar> s3Env() {
        return List.of(env("S3_ENDPOINT", config.s3Endpoint()), env("S3_BUCKET", config.s3Bucket()),
                env("MC_CONFIG_DIR", MC + "/config"));
    }

    private static WorkerCommand withEnv(WorkerCommand command, Map<String, String> env) {
        Map<String, String> merged = new LinkedHashMap<>(env);
        merged.putAll(command.env());
        return new WorkerCommand(command.runtime(), command.prefix(), merged);
    }

    /** An environment variable whose value the container gets exactly as given ({@link #literal}). */
    private static EnvVar env(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(literal(value)).build();
    }

    /**
     * {@code s} as Kubernetes passes it on: the kubelet expands {@code $(NAME)} in a container's env values, command
     * and args from the variables defined before it, {@code envFrom} included, and reads {@code $$} as {@code $}.
     * Every {@code $} doubled comes through unchanged, so a spec or a script holding {@code $(AWS_SECRET_ACCESS_KEY)}
     * (a prompt-tuning init text, an S3 key) never receives the staging container's S3 secret.
     */
    static String literal(String s) {
        return s.replace("$", "$$");
    }

    /** Single-quoted for sh: nothing inside is expanded. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static String dnsLabel(String s) {
        String lower = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        return trimDashes(lower.isEmpty() ? "x" : lower);
    }

    /** A label value: 63 characters of {@code [A-Za-z0-9._-]}, alphanumeric at both ends. */
    static String labelValue(String s) {
        String v = s.replaceAll("[^A-Za-z0-9._-]", "-");
        if (v.length() > 63 || !v.equals(s)) {
            String hash = sha256(s).substring(0, 8);
            v = v.substring(0, Math.min(v.length(), 63 - hash.length() - 1)) + "-" + hash;
        }
        return v.replaceAll("^[^A-Za-z0-9]+", "").replaceAll("[^A-Za-z0-9]+$", "");
    }

    private static String trimDashes(String s) {
        return s.replaceAll("^-+", "").replaceAll("-+$", "");
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
