package dev.tuneforge.gateway.api;

import dev.tuneforge.gateway.domain.ApiKeys;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.KeyView;
import dev.tuneforge.gateway.domain.Page;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.jboss.resteasy.reactive.RestResponse;

import java.net.URI;

/**
 * {@code /api/v1/keys}: a project admin manages its project's keys; the platform admin any project's
 * ({@code project_id} in the body, {@code project} in the query). The secret appears only in the
 * answers of create and rotate. Every operation is an admin's, reading a key too: who holds which role is
 * key management (a key sees itself at {@code /api/v1/me}).
 */
@Path("/api/v1/keys")
@SecurityRequirement(name = GatewayApi.API_KEY, scopes = GatewayApi.ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class KeyResource {

    /** The body of a key creation; {@code projectId} defaults to the caller's project. */
    public record NewKey(String name, String role, String projectId) {
    }

    private final ApiKeys keys;
    private final CurrentCaller caller;

    public KeyResource(ApiKeys keys, CurrentCaller caller) {
        this.keys = keys;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a key (admin); the answer holds its secret, shown only this once")
    public RestResponse<KeyView> create(NewKey body) {
        NewKey request = body == null ? new NewKey(null, null, null) : body;
        KeyView key = keys.create(caller.get(), request.projectId(), request.name(), request.role());
        return RestResponse.ResponseBuilder.<KeyView>created(URI.create("/api/v1/keys/" + key.id())).entity(key)
                .build();
    }

    @GET
    @Operation(summary = "The project's keys (admin), oldest first")
    public Page<KeyView> list(@QueryParam("project") String project, @QueryParam("limit") Integer limit,
                              @QueryParam("after") String after) {
        return keys.list(caller.get(), project, Cursor.decode(after), Cursor.limit(limit));
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One key (admin), without its secret")
    public KeyView get(@PathParam("id") String id) {
        return keys.get(caller.get(), id);
    }

    @POST
    @Path("/{id}/rotate")
    @Operation(summary = "A new secret for the key (admin); the old one stops working at once")
    public KeyView rotate(@PathParam("id") String id) {
        return keys.rotate(caller.get(), id);
    }

    @POST
    @Path("/{id}/revoke")
    @Operation(summary = "Revoke the key (admin): it answers 401 from now on")
    public KeyView revoke(@PathParam("id") String id) {
        return keys.revoke(caller.get(), id);
    }
}
