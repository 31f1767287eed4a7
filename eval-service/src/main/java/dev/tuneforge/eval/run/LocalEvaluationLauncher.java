package dev.tuneforge.eval.run;

import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerProcess;
import dev.tuneforge.worker.protocol.SpecWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code worker evaluate} as a child process on this node's slot: the base model (once per node and digest), the
 * artifact and the held-out file are downloaded into the task's work directory, and the results uploaded from it.
 */
final class LocalEvaluationLauncher implements EvaluationLauncher {

    private final DirectorySync sync;
    private final WorkerCommand runtime;
    private final Path workRoot;
    private final String device;

    LocalEvaluationLauncher(DirectorySync sync, WorkerCommand runtime, Path workRoot, String device) {
        this.sync = sync;
        this.runtime = runtime;
        this.workRoot = workRoot;
        this.device = device;
    }

    @Override
    public String runtime() {
        return runtime.runtime();
    }

    @Override
    public String evaluate(EvaluationTask task) throws InterruptedException {
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
            EvaluationLauncher.awaitSuccess(WorkerProcess.start(runtime, "evaluate", spec, work));
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
