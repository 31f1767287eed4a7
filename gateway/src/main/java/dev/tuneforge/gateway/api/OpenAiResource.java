package dev.tuneforge.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.gateway.domain.BaseModelCatalog;
import dev.tuneforge.gateway.domain.ChatObservations;
import dev.tuneforge.gateway.domain.ChatTarget;
import dev.tuneforge.gateway.domain.ChatTargets;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.DomainException;
import dev.tuneforge.gateway.domain.Caller;
import dev.tuneforge.gateway.domain.ModelRegistry;
import dev.tuneforge.gateway.domain.ModelVersionView;
import dev.tuneforge.gateway.domain.ModelView;
import dev.tuneforge.gateway.openai.FineTunedModelName;
import dev.tuneforge.gateway.openai.FineTuningJobs;
import dev.tuneforge.gateway.storage.ModelReadModel;
import dev.tuneforge.gateway.worker.ServerPool;
import dev.tuneforge.gateway.worker.ServersBusy;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The OpenAI-compatible {@code /v1/chat/completions} and {@code /v1/models} (DESIGN §8; files and fine-tuning jobs
 * are in {@code dev.tuneforge.gateway.openai}).
 * A chat request is served by a {@code worker serve} process of the model it names (see {@link ChatTargets} for the
 * names and {@link ServerPool} for the processes: a base model's server serves its adapter versions too) and proxied
 * with {@code model} rewritten to what that server serves it as (the adapter's id), streamed
 * responses included (server-sent events passed through as they come); responses name the model as asked, and
 * their {@code system_fingerprint} (OpenAI's field for the backend that answered) says what served it:
 * {@code name:version}, or the base model's name. When every server of the pool stays taken for
 * {@code tuneforge.serving.queue-timeout}, the answer is 503 {@code servers_busy} with {@code Retry-After}. Every
 * chat answered 200 (a stream: to its end) is recorded as an observation ({@link ChatObservations}), after the answer.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class OpenAiResource {

    /** GET /v1/models: OpenAI's model list ({@code object} is {@code list}). */
    public record ModelList(String object, List<ModelEntry> data) {
    }

    /** One model of the list, as OpenAI writes it ({@code object} is {@code model}, {@code created} epoch seconds). */
    public record ModelEntry(String id, String object, long created, String ownedBy) {
    }

    private static final Logger LOG = Logger.getLogger(OpenAiResource.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ChatTargets targets;
    private final ServerPool servers;
    private final ModelReadModel models;
    private final BaseModelCatalog baseModels;
    private final CurrentCaller caller;
    private final FineTuningJobs fineTuningJobs;
    private final ModelRegistry registry;
    private final ChatObservations observations;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    public OpenAiResource(ChatTargets targets, ServerPool servers, ModelReadModel models, BaseModelCatalog baseModels,
                          CurrentCaller caller, FineTuningJobs fineTuningJobs, ModelRegistry registry,
                          ChatObservations observations) {
        this.observations = observations;
        this.fineTuningJobs = fineTuningJobs;
        this.registry = registry;
        this.targets = targets;
        this.servers = servers;
        this.models = models;
        this.baseModels = baseModels;
        this.caller = caller;
    }

    @POST
    @Path("/chat/completions")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({MediaType.APPLICATION_JSON, MediaType.SERVER_SENT_EVENTS}) // the Java SDK streams with that Accept
    @Blocking
    @Operation(summary = "OpenAI-compatible chat completion (stream: true for server-sent events). 'model' is a model"
            + " name (its champion), 'name:version', 'name@alias' or a base model")
    public Response chatCompletions(String body) {
        ChatRequest request = ChatRequest.parse(body);
        String model = request.model();
        ChatTarget target;
        try {
            target = targets.resolve(caller.get().projectId(), model);
        } catch (ChatTargets.UnknownModel e) {
            throw OpenAiError.modelNotFound(e.getMessage());
        }
        ServerPool.Lease lease;
        try {
            lease = servers.acquire(target);
        } catch (ServersBusy e) {
            LOG.infof("no server for %s: %s", model, e.getMessage());
            throw OpenAiError.serversBusy("The model '" + model + "' cannot be served right now: " + e.getMessage(),
                    e.retryAfterSeconds());
        } catch (IOException | RuntimeException e) {
            LOG.errorf(e, "cannot serve %s", model);
            throw new OpenAiError(503, "server_error", "model", "model_unavailable",
                    "The model '" + model + "' cannot be served right now: " + e.getMessage());
        }
        boolean handedOver = false;
        ChatObservations.Transcript transcript =
                new ChatObservations.Transcript(caller.get().projectId(), target, request.body());
        try {
            Upstream upstream = forward(lease, forwardedBody(request, lease.model()));
            if (upstream.statusCode() == 404) {
                // The server's 404 names what it was asked for: the adapter's internal id, the project's id in it.
                // The client hears of the model it asked for, as OpenAI answers a model it does not have.
                upstream.body().close();
                throw OpenAiError.modelNotFound("The model '" + model
                        + "' does not exist or you do not have access to it");
            }
            String type = upstream.type();
            if (type.startsWith(MediaType.SERVER_SENT_EVENTS)) {
                boolean ok = upstream.statusCode() == 200;
                StreamingOutput events = out -> {
                    try (lease; InputStream in = upstream.body()) {
                        passEvents(in, out, target, transcript);
                    }
                    if (ok) {
                        observations.record(transcript);
                    }
                };
                handedOver = true;
                return Response.status(upstream.statusCode()).type(MediaType.SERVER_SENT_EVENTS)
                        .header("Cache-Control", "no-cache").entity(events).build();
            }
            byte[] answer;
            try (InputStream in = upstream.body()) {
                answer = in.readAllBytes();
            }
            byte[] renamed = renamed(answer, target, upstream.statusCode() == 200 ? transcript::answer : null);
            if (upstream.statusCode() == 200) {
                observations.record(transcript);
            }
            return Response.status(upstream.statusCode()).type(MediaType.APPLICATION_JSON).entity(renamed).build();
        } catch (IOException e) {
            LOG.errorf(e, "the server of %s failed to answer", model);
            throw new OpenAiError(502, "server_error", null, null,
                    "The model server failed to answer: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpenAiError(503, "server_error", null, null, "interrupted");
        } finally {
            if (!handedOver) {
                lease.close();
            }
        }
    }

    @GET
    @Path("/models")
    @Operation(summary = "OpenAI-compatible list of what 'model' may name: the project's models (champion),"
            + " their versions ('name:version') and aliases ('name@alias'), and the base models")
    public ModelList listModels() {
        String project = caller.get().projectId();
        List<ModelEntry> data = new ArrayList<>();
        for (ModelView model : models.list(project, null, 1000)) {
            long created = model.createdAt().toEpochSecond();
            if (model.champion() != null) {
                data.add(entry(model.name(), created, project));
            }
            model.aliases().keySet().forEach(alias -> data.add(entry(model.name() + "@" + alias, created, project)));
            for (ModelVersionView version : models.versions(project, model.name(), 0, 1000)) {
                if (ModelReadModel.ARCHIVED.equals(version.status())) {
                    continue;
                }
                data.add(entry(model.name() + ":" + version.version(), version.createdAt().toEpochSecond(), project));
            }
        }
        for (FineTuningJobs.FineTunedModel model : fineTuningJobs.fineTunedModels(project)) {
            data.add(entry(model.id(), model.created(), project));
        }
        for (JsonNode manifest : baseModels.list()) {
            data.add(baseModelEntry(manifest));
        }
        return new ModelList("list", data);
    }

    /**
     * The entry {@link #listModels} has for {@code id}, looked up alone: the project's model, alias or version it
     * names, else its {@code ft:} model, else the base model (the list's order, so the same entry wins).
     */
    @GET
    @Path("/models/{id}")
    @Operation(summary = "One model of the list: a base model, a model name, version or alias, or an ft: model")
    public ModelEntry model(@PathParam("id") String id) {
        String project = caller.get().projectId();
        Optional<ModelEntry> found = !ChatRequest.canName(id) ? Optional.empty() : projectModel(project, id)
                .or(() -> fineTuningJobs.fineTunedModel(project, id)
                        .map(model -> entry(model.id(), model.created(), project)))
                .or(() -> baseModels.find(id).map(OpenAiResource::baseModelEntry));
        return found.orElseThrow(() -> OpenAiError.modelNotFound("The model '" + id + "' does not exist"));
    }

    /** The project's model (with a champion), {@code name@alias} or (not archived) {@code name:version} of the list. */
    private Optional<ModelEntry> projectModel(String project, String id) {
        int at = id.lastIndexOf('@');
        if (at > 0) {
            return models.find(project, id.substring(0, at))
                    .filter(model -> model.aliases().containsKey(id.substring(at + 1)))
                    .map(model -> entry(id, model.createdAt().toEpochSecond(), project));
        }
        int colon = id.lastIndexOf(':');
        if (colon > 0) {
            int version;
            try {
                version = Integer.parseInt(id.substring(colon + 1));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            String name = id.substring(0, colon);
            return models.version(project, name, version)
                    .filter(found -> id.equals(name + ":" + found.version())
                            && !ModelReadModel.ARCHIVED.equals(found.status()))
                    .map(found -> entry(id, found.createdAt().toEpochSecond(), project));
        }
        return models.find(project, id).filter(model -> model.champion() != null)
                .map(model -> entry(id, model.createdAt().toEpochSecond(), project));
    }

    private static ModelEntry baseModelEntry(JsonNode manifest) {
        long created = 0;
        try {
            created = OffsetDateTime.parse(manifest.path("registered_at").asText()).toEpochSecond();
        } catch (RuntimeException e) {
            // a manifest without a readable time: 0, as OpenAI's own models may be
        }
        return entry(manifest.path("name").asText(), created, "tuneforge");
    }

    /** OpenAI's answer to a model's deletion. */
    public record ModelDeleted(String id, String object, boolean deleted) {
    }

    @DELETE
    @Path("/models/{id}")
    @Operation(summary = "Archive a fine-tuned model (an ft: name, or name:version): registry-service marks the version"
            + " archived, and it is served no more; refused while an alias (champion included) points at it")
    public ModelDeleted deleteModel(@PathParam("id") String id) {
        Caller who = caller.get();
        Optional<FineTunedModelName> fineTuned = FineTunedModelName.parse(id);
        String name;
        int version;
        if (fineTuned.isPresent()) {
            if (fineTuned.get().checkpointStep() != null) {
                throw OpenAiError.invalid("model", "'" + id + "' is a checkpoint; delete the job's model instead");
            }
            ModelVersionView registered = models.versionOfJob(who.projectId(), fineTuned.get().jobId())
                    .orElseThrow(() -> OpenAiError.modelNotFound("The model '" + id + "' does not exist, or is not"
                            + " registered yet (its evaluation has not ended)"));
            name = registered.name();
            version = registered.version();
        } else {
            int colon = id.lastIndexOf(':');
            try {
                name = id.substring(0, colon);
                version = Integer.parseInt(id.substring(colon + 1));
            } catch (RuntimeException e) {
                // What the project has no such model of (a base model is everyone's and cannot be deleted either).
                throw OpenAiError.modelNotFound("The model '" + id + "' does not exist; only a fine-tuned model"
                        + " ('ft:...') or a version ('name:version') of this project can be deleted");
            }
        }
        try {
            registry.archive(who, name, version);
        } catch (DomainException e) {
            throw e.reason() == DomainException.Reason.NOT_FOUND
                    ? OpenAiError.modelNotFound("The model '" + id + "' does not exist")
                    : OpenAiError.invalid("model", e.getMessage());
        }
        return new ModelDeleted(id, "model", true);
    }

    private static ModelEntry entry(String id, long created, String owner) {
        return new ModelEntry(id, "model", created, owner);
    }

    /** What the server answered: its status, its content type, and its body, not yet read. */
    private record Upstream(int statusCode, String type, InputStream body) {
    }

    /**
     * Sends the request to the lease's server. A 404 {@code model_not_found} from a server that may not have the
     * adapter yet (a remote one, whose copy of it is still on its way) is asked again until the lease's
     * {@link ServerPool.Lease#adapterWait()} has passed; the last 404 is logged, and the client told that its model
     * does not exist (the server's body names the internal adapter id).
     */
    private Upstream forward(ServerPool.Lease lease, String body) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + lease.adapterWait().toNanos();
        long pause = 100;
        while (true) {
            HttpResponse<InputStream> answer = http.send(HttpRequest.newBuilder(
                            URI.create(lease.url() + "/chat/completions"))
                    .timeout(Duration.ofMinutes(10)).header("Content-Type", MediaType.APPLICATION_JSON)
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            String type = answer.headers().firstValue("Content-Type").orElse(MediaType.APPLICATION_JSON);
            if (answer.statusCode() != 404) {
                return new Upstream(answer.statusCode(), type, answer.body());
            }
            byte[] error;
            try (InputStream in = answer.body()) {
                error = in.readAllBytes();
            }
            if (!modelNotFound(error) || System.nanoTime() + pause * 1_000_000 > deadline) {
                LOG.infof("%s answered 404 for %s: %s", lease.url(), lease.model(),
                        new String(error, StandardCharsets.UTF_8));
                return new Upstream(404, type, new java.io.ByteArrayInputStream(error));
            }
            LOG.debugf("%s has no adapter %s yet; asking again in %d ms", lease.url(), lease.model(), pause);
            Thread.sleep(pause);
            pause = Math.min(pause * 2, 2000);
        }
    }

    private static boolean modelNotFound(byte[] error) {
        try {
            return "model_not_found".equals(JSON.readTree(error).path("error").path("code").asText());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The body the server gets: the client's, with {@code model} naming what the server serves it as (the adapter's
     * id), or without {@code model} for the server's own model. Responses name the model as the client asked.
     */
    private static String forwardedBody(ChatRequest request, String model) throws IOException {
        ObjectNode body = ((ObjectNode) request.body()).deepCopy();
        if (model == null) {
            body.remove("model");
        } else {
            body.put("model", model);
        }
        return JSON.writeValueAsString(body);
    }

    /**
     * Server-sent events as they come, each chunk naming the model as the client asked for it (and handed to the
     * transcript).
     */
    private static void passEvents(InputStream in, OutputStream out, ChatTarget target,
                                   ChatObservations.Transcript transcript) throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.startsWith("data: {")) {
                line = "data: " + new String(renamed(line.substring(6).getBytes(StandardCharsets.UTF_8), target,
                        transcript::chunk), StandardCharsets.UTF_8);
            }
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            if (line.isEmpty()) {
                out.flush();
            }
        }
        out.flush();
    }

    /**
     * The JSON with its top-level {@code model} set to what the client asked for and {@code system_fingerprint}
     * to what served it (a completion or chunk only: one with a {@code model}); anything else unchanged. Such a
     * completion or chunk is also handed to {@code seen} (unless null).
     */
    private static byte[] renamed(byte[] json, ChatTarget target, Consumer<JsonNode> seen) {
        try {
            JsonNode node = JSON.readTree(json);
            if (node instanceof ObjectNode object && object.has("model")) {
                if (seen != null) {
                    seen.accept(object);
                }
                object.put("model", target.requested());
                object.put("system_fingerprint", target.resolved());
                return JSON.writeValueAsBytes(object);
            }
        } catch (IOException e) {
            // not JSON: passed on as it is
        }
        return json;
    }
}
