package dev.tuneforge.eval.run;

import dev.tuneforge.launcher.RunningWorker;
import dev.tuneforge.launcher.WorkerEvent;
import dev.tuneforge.launcher.WorkerProcess;

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
     * @throws WorkerEvaluation.EvaluationException unless it exited 0, with its {@code failed} event's code and
     *                                              message (permanent for exit 2: bad spec or data)
     */
    static void awaitSuccess(RunningWorker worker) throws InterruptedException {
        StringBuilder failure = new StringBuilder();
        int exit = worker.pumpEvents((WorkerEvent e) -> {
            if (e.name().equals("failed")) {
                failure.append(e.text("code")).append(": ").append(e.text("message"));
            }
        });
        if (exit != 0) {
            throw new WorkerEvaluation.EvaluationException(WorkerProcess.describeExit(exit)
                    + (failure.isEmpty() ? "" : ": " + failure), exit == 2);
        }
    }
}
