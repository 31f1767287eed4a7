package dev.tuneforge.gateway.api;

import dev.tuneforge.events.SweepRequested;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.Page;
import dev.tuneforge.gateway.domain.SweepView;
import dev.tuneforge.gateway.domain.Sweeps;
import dev.tuneforge.gateway.storage.SweepReadModel;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestResponse;

import java.net.URI;
import java.util.Map;

/**
 * {@code /api/v1/sweeps}: hyperparameter sweeps — trials of one recipe over a search space, each an ordinary job, the
 * hopeless ones stopped early by the median rule, the best one evaluated against the gate. Creating one is a
 * SweepRequested command to trainer-service; reads come from the read model.
 */
@Path("/api/v1/sweeps")
@Produces(MediaType.APPLICATION_JSON)
public class SweepResource {

    /** The body of POST /api/v1/sweeps. */
    public record CreateSweep(String datasetId, Integer datasetVersion, String baseModel, String modelName,
                              String method, Map<String, Object> hyperparameters, Map<String, Object> searchSpace,
                              String strategy, Integer maxTrials, Integer parallelism, Long seed,
                              Map<String, Object> medianStop, String runtime, Map<String, Object> gate) {
    }

    /** What POST answers (201): the sweep as requested. */
    public record SweepCreated(String id, String status, String datasetId, int datasetVersion, String baseModel,
                               String modelName, String method, Map<String, Object> hyperparameters,
                               Map<String, Object> searchSpace, String strategy, Integer maxTrials,
                               Integer parallelism, Long seed, SweepRequested.MedianStop medianStop, String runtime,
                               Map<String, Object> gate) {

        static SweepCreated of(SweepRequested e) {
            return new SweepCreated(e.sweepId(), "running", e.datasetId(), e.datasetVersion(), e.baseModel(),
                    e.modelName(), e.method(), e.hyperparameters(), e.searchSpace(), e.strategy(), e.maxTrials(),
                    e.parallelism(), e.seed(), e.medianStop(), e.runtime(), e.gate());
        }
    }

    private final Sweeps sweeps;
    private final SweepReadModel readModel;
    private final CurrentCaller caller;

    public SweepResource(Sweeps sweeps, SweepReadModel readModel, CurrentCaller caller) {
        this.sweeps = sweeps;
        this.readModel = readModel;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Start a hyperparameter sweep: dataset_id, optional dataset_version, base_model, model_name,"
            + " method and hyperparameters (the base recipe, as a job's), search_space (per parameter — a"
            + " hyperparameter or method — a list of values, or for random a range {min, max, log}), strategy (grid |"
            + " random, default grid), max_trials, parallelism (default 2), seed, median_stop {enabled,"
            + " warmup_evaluations, min_trials}, runtime, gate (as a pipeline's). Every trial's recipe is checked; each"
            + " problem is named by its path, e.g. search_space.learning_rate[2]")
    public RestResponse<SweepCreated> create(CreateSweep body) {
        if (body == null) {
            throw ApiException.missing("send a JSON body with at least 'dataset_id', 'base_model' and 'search_space'");
        }
        SweepRequested event = sweeps.create(caller.get(), new Sweeps.Config(body.datasetId(), body.datasetVersion(),
                body.baseModel(), body.modelName(), body.method(), body.hyperparameters(), body.searchSpace(),
                body.strategy(), body.maxTrials(), body.parallelism(), body.seed(), body.medianStop(), body.runtime(),
                body.gate()));
        return RestResponse.ResponseBuilder.<SweepCreated>created(URI.create("/api/v1/sweeps/" + event.sweepId()))
                .entity(SweepCreated.of(event)).build();
    }

    @GET
    @Operation(summary = "The caller's project's sweeps, oldest first, without their trials; 'status' filters"
            + " (running, succeeded, failed)")
    public Page<SweepView> list(@QueryParam("status") String status, @QueryParam("limit") Integer limit,
                                @QueryParam("after") String after) {
        if (status != null && !SweepView.STATUSES.contains(status)) {
            throw ApiException.invalid("'status' must be one of " + SweepView.STATUSES + ", was '" + status + "'");
        }
        int size = Cursor.limit(limit);
        return Page.of(readModel.list(caller.get().projectId(), status, Cursor.decode(after), size + 1), size,
                sweep -> new Cursor(sweep.createdAt(), sweep.id()).encode());
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One sweep with every trial: its parameters, state (pending, its job's, or stopped_early),"
            + " job, best validation loss, why it was stopped; and the best trial")
    public SweepView get(@PathParam("id") String id) {
        return sweeps.show(caller.get().projectId(), id)
                .orElseThrow(() -> ApiException.notFound("no sweep '" + id + "'"));
    }
}
