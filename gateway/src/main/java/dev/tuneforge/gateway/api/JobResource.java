package dev.tuneforge.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TuneforgeEvent;
import dev.tuneforge.gateway.config.GatewayConfig;
import dev.tuneforge.gateway.domain.Caller;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.EventStreams;
import dev.tuneforge.gateway.domain.EventView;
import dev.tuneforge.gateway.domain.JobView;
import dev.tuneforge.gateway.domain.Page;
import dev.tuneforge.gateway.domain.TrainingJobs;
import dev.tuneforge.gateway.storage.EventReadModel;
import dev.tuneforge.gateway.storage.JobReadModel;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestResponse;

import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Map;

/**
 * {@code /api/v1/jobs}: submit fine-tuning jobs, follow them (state, progress, loss curve, checkpoints,
 * live events) and cancel, pause or resume them. Reads come from the read model; writes are commands to
 * trainer-service through the outbox.
 */
@Path("/api/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class JobResource {

    /** The body of POST /api/v1/jobs. */
    public record CreateJob(String baseModel, String datasetId, Integer datasetVersion, String method,
                            Map<String, Object> hyperparameters, String modelName, Integer priority, String runtime) {
    }

    /** What POST /api/v1/jobs answers (201): the job as it was requested, queued. */
    public record JobCreated(String id, String state, String baseModel, String datasetId, int datasetVersion,
                             String method, Map<String, Object> hyperparameters, String modelName, Integer priority,
                             String runtime, OffsetDateTime createdAt) {
    }

    /**
     * What cancel, pause and resume answer (202): the command is on its way to trainer-service.
     *
     * @param state     the job's state in the read model when the command was sent
     * @param requested {@code cancel}, {@code pause} or {@code resume}
     * @param event     the type of the command event
     */
    public record CommandSent(String id, String state, String requested, String event) {
    }

    private final TrainingJobs trainingJobs;
    private final JobReadModel jobs;
    private final EventReadModel events;
    private final EventStreams streams;
    private final CurrentCaller caller;
    private final ObjectMapper json;
    private final Duration pollInterval;

    public JobResource(TrainingJobs trainingJobs, JobReadModel jobs, EventReadModel events, EventStreams streams,
                       CurrentCaller caller, ObjectMapper json,
                       GatewayConfig config) {
        this.trainingJobs = trainingJobs;
        this.jobs = jobs;
        this.events = events;
        this.streams = streams;
        this.caller = caller;
        this.json = json;
        this.pollInterval = config.events().pollInterval();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Submit a fine-tuning job: base_model, dataset_id, optional dataset_version (default: the"
            + " latest ready), method (lora | full | dpo | qlora | prompt_tuning | prefix_tuning, default lora; dpo"
            + " trains a LoRA adapter on a preference dataset; qlora and prefix_tuning need runtime torch),"
            + " hyperparameters (with mix: {dataset_id, dataset_version, fraction} to mix a general dataset into every"
            + " epoch), model_name, priority, runtime (djl | torch, default: trainer-service's, djl)")
    public RestResponse<JobCreated> create(CreateJob body) {
        if (body == null) {
            throw ApiException.missing("send a JSON body with at least 'base_model' and 'dataset_id'");
        }
        TrainingJobs.Accepted accepted = trainingJobs.create(caller.get(), new TrainingJobs.Request(body.baseModel(),
                body.datasetId(), body.datasetVersion(), body.method(), body.hyperparameters(), body.modelName(),
                body.priority(), body.runtime()));
        TrainingRequested event = accepted.event();
        JobCreated job = new JobCreated(event.jobId(), "queued", event.baseModel(), event.datasetId(),
                event.datasetVersion(), event.method(), event.hyperparameters(), event.modelName(), event.priority(),
                event.runtime(), accepted.time());
        return RestResponse.ResponseBuilder.<JobCreated>created(URI.create("/api/v1/jobs/" + event.jobId()))
                .entity(job).build();
    }

    @GET
    @Operation(summary = "The caller's project's jobs, oldest first; 'state' filters (queued, running, paused,"
            + " succeeded, failed, cancelled)")
    public Page<JobView> list(@QueryParam("state") String state, @QueryParam("limit") Integer limit,
                              @QueryParam("after") String after) {
        if (state != null && !JobView.STATES.contains(state)) {
            throw ApiException.invalid("'state' must be one of " + JobView.STATES + ", was '" + state + "'");
        }
        int size = Cursor.limit(limit);
        return Page.of(jobs.list(caller.get().projectId(), state, Cursor.decode(after), size + 1), size,
                job -> new Cursor(job.createdAt(), job.id()).encode());
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One job: state, attempt, latest progress, checkpoint, result or failure")
    public JobView get(@PathParam("id") String id) {
        return find(caller.get(), id);
    }

    @GET
    @Path("/{id}/metrics")
    @Operation(summary = "A job's loss curve: every progress point (attempt, step, train and validation loss,"
            + " learning rate, tokens/s)")
    public Page<JobView.Metric> metrics(@PathParam("id") String id) {
        Caller who = caller.get();
        find(who, id);
        return new Page<>(jobs.metrics(who.projectId(), id), false, null);
    }

    @GET
    @Path("/{id}/checkpoints")
    @Operation(summary = "A job's checkpoints in S3, by step")
    public Page<JobView.Checkpoint> checkpoints(@PathParam("id") String id) {
        Caller who = caller.get();
        find(who, id);
        return new Page<>(jobs.checkpoints(who.projectId(), id), false, null);
    }

    @GET
    @Path("/{id}/events")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "A job's events (request, commands, start, progress, checkpoints, outcome), in order;"
            + " 'after' is an event's seq")
    public Page<EventView> jobEvents(@PathParam("id") String id, @QueryParam("limit") Integer limit,
                                     @QueryParam("after") String after) {
        Caller who = caller.get();
        find(who, id);
        int size = Cursor.limit(limit);
        return Page.of(events.listBySubject(who.projectId(), id, EventResource.seq(after, "after", 0), size + 1), size,
                event -> Long.toString(event.seq()));
    }

    @GET
    @Path("/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    @Operation(summary = "A job's events, live, as Server-Sent Events: from its first event (or after"
            + " Last-Event-ID / 'after'), then as they happen")
    public Multi<OutboundSseEvent> streamJobEvents(@PathParam("id") String id,
                                                   @HeaderParam("Last-Event-ID") String lastEventId,
                                                   @QueryParam("after") String after, @Context Sse sse) {
        Caller who = caller.get();
        find(who, id);
        long start = lastEventId != null && !lastEventId.isBlank() ? EventResource.seq(lastEventId, "Last-Event-ID", 0)
                : EventResource.seq(after, "after", 0);
        String project = who.projectId();
        return EventResource.stream(start, (from, max) -> events.listBySubject(project, id, from, max),
                streams.open(who), sse, json, pollInterval);
    }

    @POST
    @Path("/{id}/cancel")
    @Operation(summary = "Ask trainer-service to cancel the job (202; 409 once it is over)")
    public RestResponse<CommandSent> cancel(@PathParam("id") String id) {
        return command(id, "cancel");
    }

    @POST
    @Path("/{id}/pause")
    @Operation(summary = "Ask trainer-service to pause the job after a checkpoint (202; 409 once it is over)")
    public RestResponse<CommandSent> pause(@PathParam("id") String id) {
        return command(id, "pause");
    }

    @POST
    @Path("/{id}/resume")
    @Operation(summary = "Ask trainer-service to resume a paused job from its last checkpoint (202; 409 once it is over)")
    public RestResponse<CommandSent> resume(@PathParam("id") String id) {
        return command(id, "resume");
    }

    private RestResponse<CommandSent> command(String id, String action) {
        Caller who = caller.get();
        TuneforgeEvent event = trainingJobs.command(who, id, action);
        JobView job = find(who, id);
        CommandSent body = new CommandSent(id, job.state(), action, EventType.of(event).typeName());
        return RestResponse.ResponseBuilder.accepted(body).location(URI.create("/api/v1/jobs/" + id)).build();
    }

    private JobView find(Caller who, String id) {
        return jobs.find(who.projectId(), id).orElseThrow(() -> ApiException.notFound("no job '" + id + "'"));
    }
}
