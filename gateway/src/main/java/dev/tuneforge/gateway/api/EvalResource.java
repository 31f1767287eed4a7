package dev.tuneforge.gateway.api;

import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.EvalView;
import dev.tuneforge.gateway.domain.Evaluations;
import dev.tuneforge.gateway.domain.Page;
import dev.tuneforge.gateway.storage.EvalReadModel;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * {@code /api/v1/evals}: the evaluations eval-service ran on finished jobs (candidate against the base
 * model and the champion on the held-out split, and the gate's verdict). Read from the read model; one
 * evaluation's full report from S3.
 */
@Path("/api/v1/evals")
@Produces(MediaType.APPLICATION_JSON)
public class EvalResource {

    private final EvalReadModel evals;
    private final Evaluations evaluations;
    private final CurrentCaller caller;

    public EvalResource(EvalReadModel evals, Evaluations evaluations, CurrentCaller caller) {
        this.evals = evals;
        this.evaluations = evaluations;
        this.caller = caller;
    }

    @GET
    @Operation(summary = "The caller's project's evaluations, oldest first; 'job_id' and 'model_name' filter")
    public Page<EvalView> list(@QueryParam("job_id") String jobId, @QueryParam("model_name") String modelName,
                               @QueryParam("limit") Integer limit, @QueryParam("after") String after) {
        int size = Cursor.limit(limit);
        return Page.of(evals.list(caller.get().projectId(), blankToNull(jobId), blankToNull(modelName),
                Cursor.decode(after), size + 1), size, eval -> new Cursor(eval.createdAt(), eval.id()).encode());
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One evaluation: outcome, metrics, gate and reason, with the full report (candidate, base,"
            + " champion and few_shot metrics with 95% intervals, each gate rule's result, wins and losses against the"
            + " base and the few-shot baseline,"
            + " the train vs held-out loss gap)")
    public EvalView get(@PathParam("id") String id) {
        return evaluations.withReport(caller.get().projectId(), id);
    }

    static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
