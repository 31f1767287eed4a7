package dev.tuneforge.trainer.launch;

import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.launcher.PythonEnvironment;
import dev.tuneforge.launcher.RunningWorker;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerProcess;
import dev.tuneforge.launcher.WorkerWatchdog;
import dev.tuneforge.trainer.storage.DatasetVersions.DatasetVersion;
import dev.tuneforge.trainer.storage.Jobs.Job;
import dev.tuneforge.worker.protocol.SpecWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.BiFunction;
import org.jboss.logging.Logger;

/**
 * A worker as a child process on this node's slot: inputs are downloaded into the attempt's work directory (the
 * base model once per node, shared by attempts), checkpoints and the output are uploaded from here as the worker
 * reports them. The torch runtime's Python environment is made first if it is missing ({@link PythonEnvironment});
 * if that fails, so does the attempt, which is retried as a crash. The process starts with a minimal environment
 * (none of the service's credentials) under a {@link WorkerWatchdog}: SIGKILL after the stop grace, a stop when it
 * goes quiet.
 */
public final class LocalWorkerLauncher implements WorkerLauncher {

    private static final Logger LOG = Logger.getLogger(LocalWorkerLauncher.class);

    private final DirectorySync sync;
    private final WorkerCommand runtime;
    private final Path baseModelCache;
    private final BiFunction<String, Integer, Path> workdirs;
    private final String device;
    private final PythonEnvironment python;
    private final WorkerWatchdog watchdog;

    /**
     * @param workdirs the work directory of (job id, attempt)
     * @param python   the torch runtime's interpreter, made before a worker starts if it is missing; null for djl
     */
    public LocalWorkerLauncher(DirectorySync sync, WorkerCommand runtime, Path baseModelCache,
                               BiFunction<String, Integer, Path> workdirs, String device, PythonEnvironment python,
                               WorkerWatchdog watchdog) {
        this.sync = sync;
        this.runtime = runtime;
        this.baseModelCache = baseModelCache;
        this.workdirs = workdirs;
        this.device = device;
        this.python = python;
        this.watchdog = watchdog;
    }

    @Override
    public String runtime() {
        return runtime.runtime();
    }

    @Override
    public RunningWorker start(Job job, int attempt, DatasetVersion dataset) throws IOException {
        if (python != null) {
            python.ensure("tuneforge.trainer.worker", line -> LOG.infof("job %s: %s", job.jobId(), line));
        }
        Path workdir = workdirs.apply(job.jobId(), attempt);
        Files.createDirectories(workdir);
        Path base = stageBaseModel(job.baseModel());
        Path train = workdir.resolve("data/train.jsonl");
        sync.getFile(dataset.trainKey(), train);
        Path validation = null;
        if (dataset.validationKey() != null) {
            validation = workdir.resolve("data/validation.jsonl");
            sync.getFile(dataset.validationKey(), validation);
        }
        Path resume = null;
        if (job.lastCheckpointKey() != null) {
            resume = workdir.resolve("resume/checkpoint-" + job.lastCheckpointStep());
            sync.download(job.lastCheckpointKey(), resume);
        }
        Path spec = workdir.resolve("spec.json");
        SpecWriter.write(WorkerSpec.train(job.method(), job.recipe(), base, train, validation, resume, device), spec);
        return WorkerProcess.start(runtime, "train", spec, workdir, watchdog);
    }

    /** An orphaned process can only be killed (the scheduler does that before the next attempt). */
    @Override
    public Optional<RunningWorker> readopt(Job job, int attempt) {
        return Optional.empty();
    }

    @Override
    public String checkpoint(String dir, String key) {
        return sync.upload(Path.of(dir), key);
    }

    @Override
    public String output(String dir, String key) {
        return sync.upload(Path.of(dir), key);
    }

    @Override
    public String outputIfPresent(String key) {
        return sync.digestOf(key);
    }

    @Override
    public void trainerState(String file, String key) {
        sync.putFile(Path.of(file), key);
    }

    @Override
    public boolean survivesInstance() {
        return false;
    }

    /** Base models are shared by attempts on this node: downloaded once per name and digest. */
    private Path stageBaseModel(String name) {
        String prefix = ObjectKeys.baseModel(name);
        String digest = sync.digestOf(prefix);
        Path dir = baseModelCache.resolve(name + (digest == null ? "" : "@" + digest.substring(0, 16)));
        synchronized (LocalWorkerLauncher.class) {
            if (digest == null || !Files.isDirectory(dir)) {
                sync.download(prefix, dir);
            }
        }
        return dir;
    }
}
