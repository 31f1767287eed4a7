package dev.tuneforge.eval.domain;

import dev.tuneforge.eval.storage.EvalRuns;
import dev.tuneforge.events.TrainingFinished;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.UUID;

/** Every finished job gets exactly one pending evaluation; the evaluation runner picks pending runs up. */
@ApplicationScoped
public class EvalScheduler {

    private final EvalRuns runs;

    public EvalScheduler(EvalRuns runs) {
        this.runs = runs;
    }

    public void trainingFinished(TrainingFinished finished) {
        runs.insertPending("ev_" + UUID.randomUUID().toString().replace("-", ""), finished);
    }
}
