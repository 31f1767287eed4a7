package dev.tuneforge.gateway.openai;

import dev.tuneforge.gateway.domain.CurrentCaller;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * OpenAI's {@code /v1/fine_tuning/jobs}, for the official SDKs' {@code fine_tuning.jobs.*}: create, list, retrieve,
 * cancel, pause, resume, events and checkpoints of the platform's jobs ({@link FineTuningJobs}).
 */
@Path("/v1/fine_tuning/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "OpenAI-compatible")
public class FineTuningResource {

    private final FineTuningJobs jobs;
    private final CurrentCaller caller;

    public FineTuningResource(FineTuningJobs jobs, CurrentCaller caller) {
        this.jobs = jobs;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a fine-tuning job: model (a base model), training_file, validation_file, suffix,"
            + " seed, metadata, integrations, hyperparameters or method (supervised)")
    public FineTuningJob create(FineTuningJobs.CreateJob body) {
        return jobs.create(caller.get(), body);
    }

    @GET
    @Operation(summary = "The project's jobs from both surfaces, newest first; 'after' is a job id,"
            + " metadata[key]=value filters")
    public OpenAiList<FineTuningJob> list(@QueryParam("after") String after, @QueryParam("limit") Integer limit,
                                          @Context UriInfo uri) {
        Map<String, String> metadata = new LinkedHashMap<>();
        uri.getQueryParameters().forEach((name, values) -> {
            if (name.startsWith("metadata[") && name.endsWith("]") && !values.isEmpty()) {
                metadata.put(name.substring("metadata[".length(), name.length() - 1), values.getLast());
            }
        });
        return jobs.list(caller.get(), after, limit, metadata);
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One job")
    public FineTuningJob get(@PathParam("id") String id) {
        return jobs.get(caller.get(), id);
    }

    @POST
    @Path("/{id}/cancel")
    @Operation(summary = "Cancel a job (409 once it is over)")
    public FineTuningJob cancel(@PathParam("id") String id) {
        return jobs.command(caller.get(), id, "cancel");
    }

    @POST
    @Path("/{id}/pause")
    @Operation(summary = "Pause a running job after a checkpoint; its status becomes 'paused'")
    public FineTuningJob pause(@PathParam("id") String id) {
        return jobs.command(caller.get(), id, "pause");
    }

    @POST
    @Path("/{id}/resume")
    @Operation(summary = "Resume a paused job from its last checkpoint")
    public FineTuningJob resume(@PathParam("id") String id) {
        return jobs.command(caller.get(), id, "resume");
    }

    @GET
    @Path("/{id}/events")
    @Operation(summary = "A job's events, newest first: messages, and a 'metrics' event per training step")
    public OpenAiList<JobEvent> events(@PathParam("id") String id, @QueryParam("after") String after,
                                       @QueryParam("limit") Integer limit) {
        return jobs.events(caller.get(), id, after, limit);
    }

    @GET
    @Path("/{id}/checkpoints")
    @Operation(summary = "A job's checkpoints, newest first; each 'fine_tuned_model_checkpoint' can be chatted with")
    public OpenAiList<JobCheckpoint> checkpoints(@PathParam("id") String id, @QueryParam("after") String after,
                                                 @QueryParam("limit") Integer limit) {
        return jobs.checkpoints(caller.get(), id, after, limit);
    }
}
