package dev.tuneforge.eval.run;

import dev.tuneforge.eval.storage.EvalRuns;
import dev.tuneforge.kit.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Deletes the reports no outcome names. Each claim of an evaluation writes its report under its own key
 * ({@code projects/{p}/eval/{id}/attempt-{n}/report.json}) and then records its outcome, if it still holds the run; a
 * claim refused that deletes its report itself ({@link EvalRunner}). A claim whose instance died between writing its
 * report and recording the outcome leaves the report behind with nobody to delete it, so once the evaluation has
 * ended ({@code passed} or {@code failed}: no claim of it runs or will run) everything under its prefix except the
 * report its outcome names ({@code report_key}, which {@code EvalPassed}/{@code EvalFailed} carry) is deleted. The sweep
 * is recorded after its deletions, so one cut short is done again at a later tick, by whichever instance runs it. The
 * results cache ({@code projects/{p}/eval/cache/}) is not an evaluation's: every claim writes a subject's results to
 * the same keys, which a row names once they are complete.
 */
@ApplicationScoped
public class LeftoverObjects {

    private static final Logger LOG = Logger.getLogger(LeftoverObjects.class);
    /** Ended evaluations swept per call; the rest wait for the next tick. */
    private static final int BATCH = 20;

    private final EvalRuns runs;
    private final ObjectStore store;

    public LeftoverObjects(EvalRuns runs, ObjectStore store) {
        this.runs = runs;
        this.store = store;
    }

    /** Sweeps ended evaluations that were not swept yet; returns how many were swept. */
    public int sweepEndedEvaluations() {
        List<EvalRuns.Unswept> ended = runs.unswept(BATCH);
        for (EvalRuns.Unswept run : ended) {
            int deleted = 0;
            // a filesystem-backed S3 server also lists directories, which are no objects
            for (String key : store.list("projects/" + run.projectId() + "/eval/" + run.evalId() + "/")) {
                if (!key.endsWith("/") && !key.equals(run.reportKey())) {
                    store.delete(key);
                    deleted++;
                }
            }
            if (deleted > 0) {
                LOG.infof("evaluation %s: deleted %d object(s) no outcome names (reports of claims that never "
                        + "recorded one)", run.evalId(), deleted);
            }
            runs.swept(run.evalId());
        }
        return ended.size();
    }
}
