package dev.tuneforge.eval.run;

import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.launcher.PythonEnvironment;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerProcess;
import dev.tuneforge.launcher.WorkerWatchdog;
import dev.tuneforge.worker.protocol.SpecWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * {@code worker evaluate} as a child process on this node's slot: the base model (once per node and digest), the
 * artifact and the held-out file are downloaded into the task's work directory, and the results uploaded from it.
 * The torch runtime's Python environment is made first if it is missing ({@link PythonEnvironment}); a failure to
 * make it fails this try of the evaluation, which is retried. The process starts with a minimal environment (none of
 * the service's credentials) under a {@link WorkerWatchdog}: stopped when it goes quiet, SIGKILL after the stop grace,
 * so a hung worker fails its try instead of keeping the slot forever.
 */
final class LocalEvaluationLauncher implements EvaluationLauncher {

    private static final Logger LOG = Logger.getLogger(LocalEvaluationLauncher.class);

    private final DirectorySync sync;
    private final WorkerCommand runtime;
    private final Path workRoot;
    private final String device;
    private final PythonEnvironment python;
    private final WorkerWatchdog watchdog;

    /** @param python the torch runtime's interpreter, made before a worker starts if it is missing; null for djl */
    LocalEvaluationLauncher(DirectorySync sync, WorkerCommand runtime, Path workRoot, String device,
                            PythonEnvironment python, WorkerWatchdog watchdog) {
        this.sync = sync;
        this.runtime = runtime;
        this.workRoot = workRoot;
        this.device = device;
        this.python = python;
        this.watchdog = watchdog;
    }

    @Override
    public String runtime() {
        return runtime.runtime();
    }

    @Override
    public String evaluate(EvaluationTask task) throws InterruptedException {
        if (python != null) {
            try {
                python.ensure("tuneforge.eval", line -> LOG.infof("%s: %s", task.name(), line));
            } catch (IOException e) {
                throw new WorkerEvaluation.EvaluationException(e.getMessage(), false);
            }
        }
        Path work = workRoot.resolve(task.name() + "-" + task.attempt());
        try {
            Files.createDirectories(work);
            Path base = stageBaseModel(task);
            Path artifact = null;
            if (task.artifactKey() != null) {
                artifact = work.resolve("artifact");
                sync.download(task.artifactKey(), artifact);
            }
            Path data = work.resolve("data/heldout.jsonl");
            sync.getFile(task.dataKey(), data);
            Path spec = work.resolve("spec.json");
            SpecWriter.write(task.spec(base, artifact, data, device), spec);
            EvaluationLauncher.awaitSuccess(WorkerProcess.start(runtime, "evaluate", spec, work, watchdog));
            sync.upload(work.resolve(EvaluationTask.RESULTS_DIR), task.resultsDirKey());
            return task.resultsKey();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Base models are shared by evaluations on this node: downloaded once per name and digest. */
    private Path stageBaseModel(EvaluationTask task) {
        String digest = sync.digestOf(task.baseModelKey());
        Path dir = workRoot.resolve("base-models")
                .resolve(task.baseModel() + (digest == null ? "" : "@" + digest.substring(0, 16)));
        synchronized (LocalEvaluationLauncher.class) {
            if (digest == null || !Files.isDirectory(dir)) {
                sync.download(task.baseModelKey(), dir);
            }
        }
        return dir;
    }
}
