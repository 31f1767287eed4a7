package dev.tuneforge.eval.run;

import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.S3Config;
import dev.tuneforge.launcher.KubernetesConnection;
import dev.tuneforge.launcher.PythonEnvironment;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerPlacement;
import dev.tuneforge.launcher.WorkerWatchdog;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;

/**
 * The launcher this instance evaluates with ({@code tuneforge.eval.launcher}), one {@link EvaluationLauncher} per
 * runtime of a slot: the same choice, the same settings and the same launcher classes as trainer-service's
 * ({@code local} processes, or Jobs on the GPU node pool through one Kubernetes client on the application's Vert.x).
 */
@ApplicationScoped
public class EvalLaunchers {

    private final EvalConfig config;
    private final DirectorySync sync;
    private final KubernetesConnection kubernetes;

    public EvalLaunchers(EvalConfig config, DirectorySync sync, S3Config s3, Vertx vertx) {
        this.config = config;
        this.sync = sync;
        this.kubernetes = config.launcher() == WorkerPlacement.Launcher.KUBERNETES
                ? KubernetesConnection.open(config.kubernetes(), "tuneforge.eval.kubernetes",
                        new VertxHttpClientFactory(vertx), s3.endpoint(), s3.bucket())
                : null;
    }

    /** The launcher for a slot of {@code runtime} ({@code djl} or {@code torch}). */
    public EvaluationLauncher forRuntime(String runtime) {
        if (kubernetes != null) {
            EvalConfig.Kubernetes k = config.kubernetes();
            WorkerCommand command = switch (runtime) {
                case "djl" -> WorkerCommand.djl(k.djlJava(), k.djlClasspath(), config.djlThreads(),
                        config.djlMaxHeap());
                case "torch" -> WorkerCommand.torch(k.torchPython(), config.torchThreads());
                default -> throw unknown(runtime);
            };
            return new KubernetesEvaluationLauncher(kubernetes.launcher(), sync, command, k.gpus() > 0 ? "cuda" : "cpu",
                    k.uploadWait(), k.pollInterval());
        }
        WorkerCommand command = switch (runtime) {
            case "djl" -> WorkerCommand.djl(Path.of(System.getProperty("java.home")),
                    Path.of(config.djlHome().orElse("worker/target")).toAbsolutePath(), config.djlThreads(),
                    config.djlMaxHeap());
            case "torch" -> WorkerCommand.torch(config.torchPython(), config.torchThreads());
            default -> throw unknown(runtime);
        };
        PythonEnvironment python = runtime.equals("torch")
                ? new PythonEnvironment(config.torchPython(), config.torchBootstrap()) : null;
        return new LocalEvaluationLauncher(sync, command, Path.of(config.workDir()).toAbsolutePath(), "cpu", python,
                new WorkerWatchdog(config.worker().stopGrace(), config.worker().stallTimeout()));
    }

    private static IllegalStateException unknown(String runtime) {
        return new IllegalStateException("unknown runtime '" + runtime + "' in tuneforge.eval.slots");
    }

    @PreDestroy
    void close() {
        if (kubernetes != null) {
            kubernetes.close();
        }
    }
}
