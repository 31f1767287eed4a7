package dev.tuneforge.eval.domain;

import dev.tuneforge.eval.storage.EvalCatalog;
import dev.tuneforge.eval.storage.EvalRuns;
import dev.tuneforge.events.SweepFinished;
import dev.tuneforge.events.TrainingFinished;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.UUID;

/**
 * Every finished job gets exactly one pending evaluation; the evaluation runner picks pending runs up. A sweep's trial
 * is the exception: only its sweep's best trial is evaluated, when {@code SweepFinished} names it (carrying that trial's
 * {@code TrainingFinished}), under the sweep's gate; so a sweep meets the gate once, with its best candidate, and
 * registry-service registers that one version.
 */
@ApplicationScoped
public class EvalScheduler {

    private final EvalRuns runs;
    private final EvalCatalog catalog;

    public EvalScheduler(EvalRuns runs, EvalCatalog catalog) {
        this.runs = runs;
        this.catalog = catalog;
    }

    public void trainingFinished(TrainingFinished finished) {
        if (finished.sweepId() == null) {
            runs.insertPending(newId(), finished, finished.pipelineId());
        }
    }

    /** The best trial becomes the candidate; its gate is looked up by the sweep's id, as a pipeline's by its own. */
    public void sweepFinished(SweepFinished sweep) {
        if (sweep.best() == null) {
            return;
        }
        catalog.gateConfigured(sweep.sweepId(), sweep.gate());
        runs.insertPending(newId(), sweep.best(), sweep.sweepId());
    }

    private static String newId() {
        return "ev_" + UUID.randomUUID().toString().replace("-", "");
    }
}
