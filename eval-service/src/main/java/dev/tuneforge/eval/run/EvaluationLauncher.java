package dev.tuneforge.eval.run;

import dev.tuneforge.launcher.RunningWorker;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one {@code worker evaluate} where a slot says: a local process ({@link LocalEvaluationLauncher}) or a
 * Kubernetes Job on the GPU node pool ({@link KubernetesEvaluationLauncher}), the launchers training uses. Either
 * way the results end up in S3 under the task's prefix, with a manifest.
 */
public interface EvaluationLauncher {

    /** The runtime's name ({@code djl}, {@code torch}). */
    String runtime();

    /**
     * Evaluates and returns the S3 key of the results file ({@link EvaluationTask#resultsKey()}).
     *
     * @throws WorkerEvaluation.EvaluationException when the worker fails (permanent for a bad spec or data)
     */
    String evaluate(EvaluationTask task) throws InterruptedException;

    /**
     * Reads the worker's events to its end.
     *
     * @throws WorkerEvaluation.EvaluationException unless it exited {@link ExitCode#DONE}, with its {@code failed}
     *                                              event's code and message, or why its watchdog stopped it
     */
    static void awaitSuccess(RunningWorker worker) throws InterruptedException {
        AtomicReference<WorkerEvent.Failed> failed = new AtomicReference<>();
        WorkerExit exit = worker.pumpEvents(e -> {
            if (e instanceof WorkerEvent.Failed f) {
                failed.set(f);
            }
        });
        if (!exit.is(ExitCode.DONE)) {
            throw WorkerEvaluation.EvaluationException.workerFailed(exit, failed.get(),
                    worker.watchdogReason().orElse(null));
        }
    }
}
