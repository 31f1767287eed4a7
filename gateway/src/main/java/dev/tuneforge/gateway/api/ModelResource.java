package dev.tuneforge.gateway.api;

import dev.tuneforge.events.EventType;
import dev.tuneforge.events.PromotionRequested;
import dev.tuneforge.events.RollbackRequested;
import dev.tuneforge.gateway.domain.Caller;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.ModelArtifacts;
import dev.tuneforge.gateway.domain.ModelCard;
import dev.tuneforge.gateway.domain.ModelLineage;
import dev.tuneforge.gateway.domain.ModelRegistry;
import dev.tuneforge.gateway.domain.ModelVersionView;
import dev.tuneforge.gateway.domain.ModelView;
import dev.tuneforge.gateway.domain.Page;
import dev.tuneforge.gateway.domain.PresignedArtifact;
import dev.tuneforge.gateway.storage.ArtifactStore.ArtifactFile;
import dev.tuneforge.gateway.storage.ModelReadModel;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;

import java.net.URI;
import java.util.List;

/**
 * {@code /api/v1/models}: the model registry (registry-service owns it; the gateway shows its projection):
 * models and their aliases, versions with model cards and lineage, the artifact, and promotion and
 * rollback as commands.
 */
@Path("/api/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelResource {

    /** The body of POST /api/v1/models/{name}/promote. */
    public record Promote(Integer version, String alias) {
    }

    /** What promote answers (202): the PromotionRequested on its way to registry-service ({@code event}: its type). */
    public record PromotionSent(String name, int version, String alias, String event) {
    }

    /** What rollback answers (202): the RollbackRequested on its way to registry-service ({@code event}: its type). */
    public record RollbackSent(String name, String event) {
    }

    private final ModelRegistry registry;
    private final ModelReadModel models;
    private final ModelArtifacts artifacts;
    private final CurrentCaller caller;

    public ModelResource(ModelRegistry registry, ModelReadModel models, ModelArtifacts artifacts, CurrentCaller caller) {
        this.registry = registry;
        this.models = models;
        this.artifacts = artifacts;
        this.caller = caller;
    }

    @GET
    @Operation(summary = "The caller's project's models, oldest first, with their aliases (champion, ...) and latest version")
    public Page<ModelView> list(@QueryParam("limit") Integer limit, @QueryParam("after") String after) {
        int size = Cursor.limit(limit);
        return Page.of(models.list(caller.get().projectId(), Cursor.decode(after), size + 1), size,
                model -> new Cursor(model.createdAt(), model.name()).encode());
    }

    @GET
    @Path("/{name}")
    @Operation(summary = "One model: its aliases (champion → version) and latest version")
    public ModelView get(@PathParam("name") String name) {
        return registry.model(caller.get().projectId(), name);
    }

    @GET
    @Path("/{name}/versions")
    @Operation(summary = "A model's versions, oldest first (`after` is a version number): job, artifact, status, aliases")
    public Page<ModelVersionView> versions(@PathParam("name") String name, @QueryParam("limit") Integer limit,
                                           @QueryParam("after") String after) {
        Caller who = caller.get();
        registry.model(who.projectId(), name);
        int size = Cursor.limit(limit);
        int from;
        try {
            from = after == null ? 0 : Integer.parseInt(after);
        } catch (NumberFormatException e) {
            throw ApiException.invalid("'after' must be a version number, was '" + after + "'");
        }
        return Page.of(models.versions(who.projectId(), name, from, size + 1), size,
                version -> Integer.toString(version.version()));
    }

    @GET
    @Path("/{name}/versions/{version}")
    @Operation(summary = "A version's model card: base model (with its digest), method, hyperparameters, dataset"
            + " version and its content digest, who asked and when, training metrics, the evaluation with its report")
    public ModelCard version(@PathParam("name") String name, @PathParam("version") int version) {
        return registry.card(caller.get().projectId(), name, version);
    }

    @GET
    @Path("/{name}/versions/{version}/lineage")
    @Operation(summary = "Where a version comes from: its job, the dataset version it was trained on and the upload"
            + " that dataset version came from, each with its digests")
    public ModelLineage lineage(@PathParam("name") String name, @PathParam("version") int version) {
        return registry.lineage(caller.get().projectId(), name, version);
    }

    @GET
    @Path("/{name}/versions/{version}/artifact")
    @Produces({"application/x-tar", MediaType.APPLICATION_JSON})
    @Blocking
    @APIResponse(responseCode = "200", description = "The artifact as a tar, or its presigned URLs", content = {
            @Content(mediaType = "application/x-tar"),
            @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = PresignedArtifact.class))})
    @Operation(summary = "The version's artifact directory (adapter or full model, with manifest.json) as a tar;"
            + " with presigned=true, a short-lived presigned URL per file instead (JSON)")
    public Response artifact(@PathParam("name") String name, @PathParam("version") int version,
                             @QueryParam("presigned") String presigned) {
        Caller who = caller.get();
        ModelVersionView v = registry.version(who.projectId(), name, version);
        List<ArtifactFile> files = artifacts.files(who.projectId(), v);
        if (presigned != null && !presigned.equals("false")) {
            if (!presigned.equals("true")) {
                throw ApiException.invalid("'presigned' must be true or false, was '" + presigned + "'");
            }
            return Response.ok(artifacts.presigned(v, files), MediaType.APPLICATION_JSON).build();
        }
        String top = name + "-v" + version;
        StreamingOutput tar = out -> artifacts.tar(files, top, out);
        return Response.ok(tar, "application/x-tar")
                .header("Content-Disposition", "attachment; filename=\"" + top + ".tar\"").build();
    }

    @POST
    @Path("/{name}/promote")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Ask registry-service to point an alias (default champion) at a version: {version, alias}"
            + " (202; asking again changes nothing)")
    public RestResponse<PromotionSent> promote(@PathParam("name") String name, Promote body) {
        PromotionRequested event = registry.promote(caller.get(), name, body == null ? null : body.version(),
                body == null ? null : body.alias());
        PromotionSent answer = new PromotionSent(name, event.version(), event.alias(), EventType.of(event).typeName());
        return RestResponse.ResponseBuilder.accepted(answer).location(URI.create("/api/v1/models/" + name)).build();
    }

    @POST
    @Path("/{name}/rollback")
    @Operation(summary = "Ask registry-service to give champion back to the previous champion (202; idempotent)")
    public RestResponse<RollbackSent> rollback(@PathParam("name") String name) {
        RollbackRequested event = registry.rollback(caller.get(), name);
        RollbackSent answer = new RollbackSent(name, EventType.of(event).typeName());
        return RestResponse.ResponseBuilder.accepted(answer).location(URI.create("/api/v1/models/" + name)).build();
    }
}
