package dev.tuneforge.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The command line of a worker runtime: the only thing that differs between runtimes. Launchers (local
 * process, Kubernetes Job) take this list as it is and append the protocol's arguments
 * ({@code train --spec spec.json --workdir DIR}).
 *
 * @param runtime {@code djl} or {@code torch}
 * @param prefix  the program and its options, before the protocol's arguments
 * @param env     extra environment variables the runtime needs
 */
public record WorkerCommand(String runtime, List<String> prefix, Map<String, String> env) {

    public WorkerCommand {
        prefix = List.copyOf(prefix);
        env = Map.copyOf(env);
    }

    /**
     * The djl runtime: {@code java -cp <worker jar>:<its dependencies> dev.tuneforge.worker.Main}.
     * {@code workerHome} is the worker module's build directory (its jar and {@code worker.classpath}).
     * One BLAS thread count, fixed, so a resumed attempt computes exactly what an uninterrupted one would.
     */
    public static WorkerCommand djl(Path javaHome, Path workerHome, int threads, String maxHeap) {
        Path classpathFile = workerHome.resolve("worker.classpath");
        if (!Files.isRegularFile(classpathFile)) {
            throw new IllegalStateException("no djl worker build at " + workerHome + " (expected worker.classpath and "
                    + "the worker jar; build it with ./mvnw -pl worker package)");
        }
        Path jar;
        try (Stream<Path> files = Files.list(workerHome)) {
            jar = files.filter(f -> f.getFileName().toString().matches("tuneforge-worker-.*\\.jar")
                            && !f.getFileName().toString().endsWith("-sources.jar")
                            && !f.getFileName().toString().endsWith("-tests.jar"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no tuneforge-worker jar in " + workerHome));
            String classpath = jar + java.io.File.pathSeparator + Files.readString(classpathFile).strip();
            return djl(javaHome.resolve("bin/java").toString(), classpath, threads, maxHeap);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The djl runtime from a given {@code java} and classpath, e.g. inside a worker image
     * ({@code java}, {@code /opt/tuneforge/worker/lib/*}: the java launcher expands the wildcard itself).
     */
    public static WorkerCommand djl(String java, String classpath, int threads, String maxHeap) {
        List<String> prefix = List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx" + maxHeap,
                "-Dai.djl.offline=true", "-Dai.djl.default_engine=PyTorch", "-cp", classpath, "dev.tuneforge.worker.Main");
        Map<String, String> env = new HashMap<>(threadEnv(threads));
        env.put("PYTORCH_FLAVOR", "cpu");
        return new WorkerCommand("djl", prefix, env);
    }

    /**
     * The torch runtime: {@code python -m tuneforge_worker} from the worker image or a local environment, with the
     * djl runtime's fixed thread count (a resumed attempt computes what an uninterrupted one would) and unbuffered
     * output, so every event line reaches the launcher when it is printed.
     */
    public static WorkerCommand torch(String python, int threads) {
        Map<String, String> env = new HashMap<>(threadEnv(threads));
        env.put("PYTHONUNBUFFERED", "1");
        return new WorkerCommand("torch", List.of(python, "-m", "tuneforge_worker"), env);
    }

    /** {@link #torch(String, int)} on one thread, the services' default. */
    public static WorkerCommand torch(String python) {
        return torch(python, 1);
    }

    /** One BLAS/OpenMP thread count, fixed: libtorch's kernels then reduce in the same order every run. */
    private static Map<String, String> threadEnv(int threads) {
        String t = Integer.toString(threads);
        return Map.of("OMP_NUM_THREADS", t, "MKL_NUM_THREADS", t, "MKL_DYNAMIC", "FALSE", "OMP_DYNAMIC", "FALSE",
                "MKL_CBWR", "AUTO");
    }

    /**
     * The torch runtime on several nodes: {@code torchrun} starts {@code procsPerNode} processes on this node
     * and meets the other nodes at {@code masterAddr:masterPort}. The arguments are passed as they are, so a
     * launcher can give references its platform expands (Kubernetes: {@code $(NODE_RANK)}).
     */
    public static WorkerCommand torchrun(int nodes, int procsPerNode, String nodeRank, String masterAddr,
                                         String masterPort) {
        return new WorkerCommand("torch", List.of("torchrun", "--nnodes", Integer.toString(nodes), "--nproc_per_node",
                Integer.toString(procsPerNode), "--node_rank", nodeRank, "--master_addr", masterAddr, "--master_port",
                masterPort, "-m", "tuneforge_worker"), Map.of());
    }

    /** The full command line for one protocol command. */
    public List<String> commandLine(String command, Path spec, Path workdir) {
        List<String> line = new ArrayList<>(prefix);
        line.addAll(List.of(command, "--spec", spec.toString(), "--workdir", workdir.toString()));
        return line;
    }
}
