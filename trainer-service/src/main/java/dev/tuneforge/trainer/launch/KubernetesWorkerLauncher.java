package dev.tuneforge.trainer.launch;

import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.launcher.KubernetesAttempt;
import dev.tuneforge.launcher.KubernetesLauncher;
import dev.tuneforge.launcher.RunningWorker;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.trainer.storage.AttemptKeys;
import dev.tuneforge.trainer.storage.DatasetVersions.DatasetVersion;
import dev.tuneforge.trainer.storage.Jobs.Job;
import dev.tuneforge.worker.protocol.SpecWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * A worker as a Kubernetes Job on the GPU node pool ({@link KubernetesLauncher}): the pod stages its inputs from
 * S3 itself and its sidecar uploads checkpoints and the output, each ending with the {@code manifest.json} that
 * {@link DirectorySync} writes. So when the worker reports a directory, the trainer waits (up to
 * {@code upload-wait}) for that manifest and takes the digest from it: nothing passes through this JVM.
 */
public final class KubernetesWorkerLauncher implements WorkerLauncher {

    private static final Logger LOG = Logger.getLogger(KubernetesWorkerLauncher.class);
    /** Where the pod finds its inputs, relative to {@code /work} (the spec's paths are relative to it). */
    static final String BASE_MODEL = "models/base";
    static final String TRAIN = "data/train.jsonl";
    static final String VALIDATION = "data/validation.jsonl";

    private final KubernetesLauncher launcher;
    private final DirectorySync sync;
    private final WorkerCommand runtime;
    private final int nodes;
    private final String device;
    private final Duration uploadWait;
    private final Duration poll;

    public KubernetesWorkerLauncher(KubernetesLauncher launcher, DirectorySync sync, WorkerCommand runtime, int nodes,
                                    String device, Duration uploadWait, Duration poll) {
        this.launcher = launcher;
        this.sync = sync;
        this.runtime = runtime;
        this.nodes = nodes;
        this.device = device;
        this.uploadWait = uploadWait;
        this.poll = poll;
    }

    @Override
    public String runtime() {
        return runtime.runtime();
    }

    @Override
    public RunningWorker start(Job job, int attempt, DatasetVersion dataset) throws Exception {
        return launcher.launch(attempt(job, attempt, dataset));
    }

    /** The Job of one attempt: the S3 keys it stages and the spec, with the pod's paths. */
    KubernetesAttempt attempt(Job job, int attempt, DatasetVersion dataset) {
        List<KubernetesAttempt.Input> inputs = new ArrayList<>();
        inputs.add(new KubernetesAttempt.Input(ObjectKeys.baseModel(job.baseModel()), BASE_MODEL));
        inputs.add(new KubernetesAttempt.Input(dataset.trainKey(), TRAIN));
        Path validation = null;
        if (dataset.validationKey() != null) {
            inputs.add(new KubernetesAttempt.Input(dataset.validationKey(), VALIDATION));
            validation = Path.of(VALIDATION);
        }
        Path resume = null;
        if (job.lastCheckpointKey() != null) {
            resume = Path.of("resume/checkpoint-" + job.lastCheckpointStep());
            inputs.add(new KubernetesAttempt.Input(job.lastCheckpointKey(), resume.toString()));
        }
        String spec = SpecWriter.json(WorkerSpec.train(job.method(), job.recipe(), Path.of(BASE_MODEL), Path.of(TRAIN),
                validation, resume, device));
        return new KubernetesAttempt(job.jobId(), attempt, runtime, "train", spec, inputs,
                AttemptKeys.checkpoints(job.projectId(), job.jobId(), attempt),
                AttemptKeys.outputs(job.projectId(), job.jobId(), attempt), nodes);
    }

    @Override
    public Optional<RunningWorker> readopt(Job job, int attempt) {
        return launcher.find(job.jobId(), attempt).map(RunningWorker.class::cast);
    }

    @Override
    public String checkpoint(String dir, String key) throws InterruptedException {
        return await(key);
    }

    @Override
    public String output(String dir, String key) throws InterruptedException {
        return await(key);
    }

    @Override
    public String outputIfPresent(String key) {
        return sync.digestOf(key);
    }

    /** The sidecar uploads {@code trainer_state.json} itself, after the output. */
    @Override
    public void trainerState(String file, String key) {
    }

    @Override
    public boolean survivesInstance() {
        return true;
    }

    /** The digest in {@code key}'s manifest once the sidecar has written it; null after {@code upload-wait}. */
    private String await(String key) throws InterruptedException {
        String digest = sync.awaitDigest(key, uploadWait, poll);
        if (digest == null) {
            LOG.warnf("no %s%s after %s: the sidecar has not uploaded it", key, ObjectKeys.MANIFEST, uploadWait);
        }
        return digest;
    }
}
