package dev.tuneforge.trainer.launch;

import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.S3Config;
import dev.tuneforge.launcher.KubernetesLauncher;
import dev.tuneforge.launcher.KubernetesLauncherConfig;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.trainer.domain.JobTransitions;
import dev.tuneforge.trainer.domain.TrainerConfig;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The launcher this instance runs workers with ({@code tuneforge.trainer.launcher}): one {@link WorkerLauncher} per
 * runtime of a slot. With {@code kubernetes}, the API client is made once, from {@code kubernetes.master-url} or
 * else in-cluster configuration (or a kubeconfig), on the application's Vert.x rather than one of its own.
 */
@ApplicationScoped
public class Launchers {

    private final TrainerConfig config;
    private final DirectorySync sync;
    private final JobTransitions transitions;
    private final KubernetesClient client;
    private final KubernetesLauncher kubernetes;

    public Launchers(TrainerConfig config, DirectorySync sync, S3Config s3, JobTransitions transitions, Vertx vertx) {
        this.config = config;
        this.sync = sync;
        this.transitions = transitions;
        if (config.launcher() == TrainerConfig.Launcher.KUBERNETES) {
            TrainerConfig.Kubernetes k = config.kubernetes();
            Config clientConfig = Config.autoConfigure(null);
            k.masterUrl().ifPresent(clientConfig::setMasterUrl);
            this.client = new KubernetesClientBuilder().withConfig(clientConfig)
                    .withHttpClientFactory(new VertxHttpClientFactory(vertx)).build();
            String namespace = k.namespace().orElse(clientConfig.getNamespace() == null ? "default"
                    : clientConfig.getNamespace());
            this.kubernetes = new KubernetesLauncher(client, launcherConfig(k, namespace, s3));
        } else {
            this.client = null;
            this.kubernetes = null;
        }
    }

    /** The configuration of the Kubernetes launcher from {@code tuneforge.trainer.kubernetes.*}. */
    static KubernetesLauncherConfig launcherConfig(TrainerConfig.Kubernetes k, String namespace, S3Config s3) {
        String image = k.image().orElseThrow(() -> new IllegalStateException(
                "tuneforge.trainer.launcher=kubernetes needs tuneforge.trainer.kubernetes.image (the worker image)"));
        Map<String, String> nodeSelector = new LinkedHashMap<>();
        for (String entry : k.nodeSelector().orElse(List.of())) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalStateException("tuneforge.trainer.kubernetes.node-selector: expected key=value, got '"
                        + entry + "'");
            }
            nodeSelector.put(entry.substring(0, eq).strip(), entry.substring(eq + 1).strip());
        }
        List<KubernetesLauncherConfig.Toleration> tolerations = new ArrayList<>();
        for (String entry : k.tolerations().orElse(List.of())) {
            tolerations.add(toleration(entry));
        }
        return KubernetesLauncherConfig.builder(namespace, image)
                .imagePullPolicy(k.imagePullPolicy().orElse(null))
                .serviceAccount(k.serviceAccount().orElse(null))
                .gpus(k.gpus())
                .nodeSelector(nodeSelector)
                .tolerations(tolerations)
                .cpu(k.cpu().orElse(null))
                .memory(k.memory().orElse(null))
                .s3(k.s3Endpoint().orElse(s3.endpoint()), s3.bucket(), k.s3CredentialsSecret())
                .stagingImage(k.stagingImage())
                .activeDeadlineSeconds(k.activeDeadline().map(d -> d.toSeconds()).orElse(null))
                .ttlSecondsAfterFinished((int) k.ttlAfterFinished().toSeconds())
                .terminationGracePeriodSeconds(k.terminationGracePeriod().toSeconds())
                .rendezvousPort(k.rendezvousPort())
                .syncIntervalSeconds((int) Math.max(1, k.syncInterval().toSeconds()))
                .pollInterval(k.pollInterval())
                .build();
    }

    /** {@code key=value:Effect} (Equal), {@code key:Effect} (Exists), {@code key=value} or {@code key} (any effect). */
    static KubernetesLauncherConfig.Toleration toleration(String entry) {
        String s = entry.strip();
        String effect = null;
        int colon = s.lastIndexOf(':');
        if (colon >= 0) {
            effect = s.substring(colon + 1).strip();
            s = s.substring(0, colon).strip();
        }
        int eq = s.indexOf('=');
        if (s.isEmpty() || eq == 0 || (effect != null && effect.isEmpty())) {
            throw new IllegalStateException("tuneforge.trainer.kubernetes.tolerations: expected key=value:Effect or "
                    + "key:Effect, got '" + entry + "'");
        }
        return eq < 0 ? new KubernetesLauncherConfig.Toleration(s, "Exists", null, effect)
                : new KubernetesLauncherConfig.Toleration(s.substring(0, eq), "Equal", s.substring(eq + 1), effect);
    }

    public boolean isKubernetes() {
        return kubernetes != null;
    }

    /**
     * Whether an attempt whose instance died can be taken over as it is, instead of launching the next one:
     * only a Kubernetes Job that still exists and has not failed.
     */
    public boolean adoptable(String jobId, int attempt) {
        return kubernetes != null && kubernetes.adoptable(jobId, attempt);
    }

    /** The launcher for a slot of {@code runtime} ({@code djl} or {@code torch}). */
    public WorkerLauncher forRuntime(String runtime) {
        if (kubernetes != null) {
            TrainerConfig.Kubernetes k = config.kubernetes();
            WorkerCommand command = switch (runtime) {
                case "djl" -> WorkerCommand.djl(k.djlJava(), k.djlClasspath(), config.worker().djlThreads(),
                        config.worker().djlMaxHeap());
                case "torch" -> WorkerCommand.torch(k.torchPython());
                default -> throw unknown(runtime);
            };
            return new KubernetesWorkerLauncher(kubernetes, sync, command, k.nodes(), k.gpus() > 0 ? "cuda" : "cpu",
                    k.uploadWait(), k.pollInterval());
        }
        WorkerCommand command = switch (runtime) {
            case "djl" -> WorkerCommand.djl(Path.of(System.getProperty("java.home")),
                    Path.of(config.worker().djlHome().orElse("worker/target")).toAbsolutePath(),
                    config.worker().djlThreads(), config.worker().djlMaxHeap());
            case "torch" -> WorkerCommand.torch(config.worker().torchPython());
            default -> throw unknown(runtime);
        };
        return new LocalWorkerLauncher(sync, command, Path.of(config.workDir()).toAbsolutePath().resolve("base-models"),
                transitions::workdir, "cpu");
    }

    private static IllegalStateException unknown(String runtime) {
        return new IllegalStateException("unknown runtime '" + runtime + "' in tuneforge.trainer.slots");
    }

    @PreDestroy
    void close() {
        if (client != null) {
            client.close();
        }
    }
}
