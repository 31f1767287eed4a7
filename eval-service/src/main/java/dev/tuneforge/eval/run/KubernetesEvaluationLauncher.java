package dev.tuneforge.eval.run;

import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.launcher.KubernetesAttempt;
import dev.tuneforge.launcher.KubernetesLauncher;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.worker.protocol.SpecWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code worker evaluate} as a Kubernetes Job on the GPU node pool, through the {@link KubernetesLauncher} training
 * uses: the pod's init container stages the base model, the artifact and the held-out file from S3, and its sync
 * sidecar uploads {@code out/results/} with a manifest once the worker has renamed the results file into place.
 * Nothing passes through this JVM: after the worker exits 0, this waits (up to {@code upload-wait}) for the manifest.
 */
final class KubernetesEvaluationLauncher implements EvaluationLauncher {

    /** Where the pod finds its inputs, relative to {@code /work}. */
    static final String BASE_MODEL = "models/base";
    static final String ARTIFACT = "models/artifact";
    static final String DATA = "data/heldout.jsonl";

    private final KubernetesLauncher launcher;
    private final DirectorySync sync;
    private final WorkerCommand runtime;
    private final String device;
    private final Duration uploadWait;
    private final Duration poll;

    KubernetesEvaluationLauncher(KubernetesLauncher launcher, DirectorySync sync, WorkerCommand runtime,
                                 String device, Duration uploadWait, Duration poll) {
        this.launcher = launcher;
        this.sync = sync;
        this.runtime = runtime;
        this.device = device;
        this.uploadWait = uploadWait;
        this.poll = poll;
    }

    @Override
    public String runtime() {
        return runtime.runtime();
    }

    @Override
    public String evaluate(EvaluationTask task) throws InterruptedException {
        EvaluationLauncher.awaitSuccess(launcher.launch(attempt(task)));
        if (sync.awaitDigest(task.resultsDirKey(), uploadWait, poll) == null) {
            throw new WorkerEvaluation.EvaluationException("the worker finished but its results did not reach "
                    + task.resultsDirKey() + " within " + uploadWait + " (the pod's sync sidecar)", false);
        }
        return task.resultsKey();
    }

    /** The Job: inputs to stage, the spec with the pod's paths, results under the task's prefix. */
    KubernetesAttempt attempt(EvaluationTask task) {
        List<KubernetesAttempt.Input> inputs = new ArrayList<>();
        inputs.add(new KubernetesAttempt.Input(task.baseModelKey(), BASE_MODEL));
        if (task.artifactKey() != null) {
            inputs.add(new KubernetesAttempt.Input(task.artifactKey(), ARTIFACT));
        }
        inputs.add(new KubernetesAttempt.Input(task.dataKey(), DATA));
        String spec = SpecWriter.json(task.spec(Path.of(BASE_MODEL), Path.of(ARTIFACT), Path.of(DATA), device));
        return new KubernetesAttempt(task.name(), task.attempt(), runtime, "evaluate", spec, inputs, null,
                task.resultsPrefix(), 1);
    }
}
