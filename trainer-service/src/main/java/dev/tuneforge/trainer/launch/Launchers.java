package dev.tuneforge.trainer.launch;

import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.S3Config;
import dev.tuneforge.launcher.KubernetesConnection;
import dev.tuneforge.launcher.KubernetesLauncher;
import dev.tuneforge.launcher.PythonEnvironment;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerPlacement;
import dev.tuneforge.launcher.WorkerWatchdog;
import dev.tuneforge.trainer.domain.JobTransitions;
import dev.tuneforge.trainer.domain.TrainerConfig;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;

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
    private final KubernetesConnection connection;
    private final KubernetesLauncher kubernetes;

    public Launchers(TrainerConfig config, DirectorySync sync, S3Config s3, JobTransitions transitions, Vertx vertx) {
        this.config = config;
        this.sync = sync;
        this.transitions = transitions;
        this.connection = config.launcher() == WorkerPlacement.Launcher.KUBERNETES
                ? KubernetesConnection.open(config.kubernetes(), "tuneforge.trainer.kubernetes",
                        new VertxHttpClientFactory(vertx), s3.endpoint(), s3.bucket())
                : null;
        this.kubernetes = connection == null ? null : connection.launcher();
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
                case "torch" -> WorkerCommand.torch(k.torchPython(), config.worker().torchThreads());
                default -> throw unknown(runtime);
            };
            return new KubernetesWorkerLauncher(kubernetes, sync, command, k.nodes(), k.gpus() > 0 ? "cuda" : "cpu",
                    k.uploadWait(), k.pollInterval());
        }
        WorkerCommand command = switch (runtime) {
            case "djl" -> WorkerCommand.djl(Path.of(System.getProperty("java.home")),
                    Path.of(config.worker().djlHome().orElse("worker/target")).toAbsolutePath(),
                    config.worker().djlThreads(), config.worker().djlMaxHeap());
            case "torch" -> WorkerCommand.torch(config.worker().torchPython(), config.worker().torchThreads());
            default -> throw unknown(runtime);
        };
        PythonEnvironment python = runtime.equals("torch")
                ? new PythonEnvironment(config.worker().torchPython(), config.worker().torchBootstrap()) : null;
        return new LocalWorkerLauncher(sync, command, Path.of(config.workDir()).toAbsolutePath().resolve("base-models"),
                transitions::workdir, "cpu", python,
                new WorkerWatchdog(config.worker().stopGrace(), config.worker().stallTimeout()));
    }

    private static IllegalStateException unknown(String runtime) {
        return new IllegalStateException("unknown runtime '" + runtime + "' in tuneforge.trainer.slots");
    }

    @PreDestroy
    void close() {
        if (connection != null) {
            connection.close();
        }
    }
}
