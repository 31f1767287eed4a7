package dev.tuneforge.gateway.api;

import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.Page;
import dev.tuneforge.gateway.domain.PipelineView;
import dev.tuneforge.gateway.domain.Pipelines;
import dev.tuneforge.gateway.storage.PipelineReadModel;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
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
 * {@code /api/v1/pipelines}: retraining pipelines (dataset + base model + recipe + gate + triggers).
 * Changes are PipelineConfigured commands to trainer-service; reads come from the read model.
 */
@Path("/api/v1/pipelines")
@Produces(MediaType.APPLICATION_JSON)
public class PipelineResource {

    /** The body of POST /api/v1/pipelines. */
    public record CreatePipeline(String datasetId, String baseModel, String modelName, String method,
                                 Map<String, Object> hyperparameters, Map<String, Object> gate,
                                 Map<String, Object> triggers, String runtime) {
    }

    /** What create, pause, resume and delete answer: the pipeline as configured by the command sent. */
    public record PipelineConfig(String id, String status, String datasetId, String baseModel, String modelName,
                                 String method, Map<String, Object> hyperparameters, Map<String, Object> gate,
                                 Map<String, Object> triggers, String runtime) {

        static PipelineConfig of(PipelineConfigured event) {
            return new PipelineConfig(event.pipelineId(), event.status(), event.datasetId(), event.baseModel(),
                    event.modelName(), event.method(), event.hyperparameters(), event.gate(), event.triggers(),
                    event.runtime());
        }
    }

    private final Pipelines pipelines;
    private final PipelineReadModel readModel;
    private final CurrentCaller caller;

    public PipelineResource(Pipelines pipelines, PipelineReadModel readModel, CurrentCaller caller) {
        this.pipelines = pipelines;
        this.readModel = readModel;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Configure a retraining pipeline: dataset_id, base_model, model_name, method,"
            + " hyperparameters, gate, triggers {min_new_examples, cooldown_seconds}, runtime (djl | torch) of its"
            + " jobs")
    public RestResponse<PipelineConfig> create(CreatePipeline body) {
        if (body == null) {
            throw ApiException.missing("send a JSON body with at least 'dataset_id' and 'base_model'");
        }
        PipelineConfigured event = pipelines.create(caller.get(), new Pipelines.Config(body.datasetId(),
                body.baseModel(), body.modelName(), body.method(), body.hyperparameters(), body.gate(),
                body.triggers(), body.runtime()));
        URI location = URI.create("/api/v1/pipelines/" + event.pipelineId());
        return RestResponse.ResponseBuilder.<PipelineConfig>created(location).entity(PipelineConfig.of(event)).build();
    }

    @GET
    @Operation(summary = "The caller's project's pipelines, oldest first; 'status' filters (default: all but deleted)")
    public Page<PipelineView> list(@QueryParam("status") String status, @QueryParam("limit") Integer limit,
                                   @QueryParam("after") String after) {
        if (status != null && !PipelineView.STATUSES.contains(status)) {
            throw ApiException.invalid("'status' must be one of " + PipelineView.STATUSES + ", was '" + status + "'");
        }
        int size = Cursor.limit(limit);
        return Page.of(readModel.list(caller.get().projectId(), status, Cursor.decode(after), size + 1), size,
                pipeline -> new Cursor(pipeline.createdAt(), pipeline.id()).encode());
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One pipeline: its configuration and status")
    public PipelineView get(@PathParam("id") String id) {
        return readModel.find(caller.get().projectId(), id)
                .orElseThrow(() -> ApiException.notFound("no pipeline '" + id + "'"));
    }

    @POST
    @Path("/{id}/pause")
    @Operation(summary = "Pause a pipeline: no retraining until it is resumed (202)")
    public RestResponse<PipelineConfig> pause(@PathParam("id") String id) {
        return status(id, "paused");
    }

    @POST
    @Path("/{id}/resume")
    @Operation(summary = "Resume a paused pipeline (202)")
    public RestResponse<PipelineConfig> resume(@PathParam("id") String id) {
        return status(id, "active");
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Delete a pipeline (202); its jobs and models stay")
    public RestResponse<PipelineConfig> delete(@PathParam("id") String id) {
        return status(id, "deleted");
    }

    private RestResponse<PipelineConfig> status(String id, String status) {
        PipelineConfigured event = pipelines.setStatus(caller.get(), id, status);
        return RestResponse.ResponseBuilder.accepted(PipelineConfig.of(event))
                .location(URI.create("/api/v1/pipelines/" + id)).build();
    }
}
