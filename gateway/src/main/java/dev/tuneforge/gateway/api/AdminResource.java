package dev.tuneforge.gateway.api;

import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.ReadModelRebuild;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/** {@code /api/v1/admin}: operations on the gateway itself, for the platform admin. */
@Path("/api/v1/admin")
@SecurityRequirement(name = GatewayApi.API_KEY, scopes = GatewayApi.PLATFORM_ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

    private final ReadModelRebuild rebuild;
    private final CurrentCaller caller;

    public AdminResource(ReadModelRebuild rebuild, CurrentCaller caller) {
        this.rebuild = rebuild;
        this.caller = caller;
    }

    @POST
    @Path("/read-model/rebuild")
    @Operation(summary = "Rebuild the read model by replaying every topic from the beginning (platform admin)")
    public ReadModelRebuild.Result rebuildReadModel() {
        caller.get().requirePlatformAdmin();
        return rebuild.rebuild();
    }
}
