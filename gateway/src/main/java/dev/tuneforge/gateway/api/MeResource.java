package dev.tuneforge.gateway.api;

import dev.tuneforge.gateway.domain.Caller;
import dev.tuneforge.gateway.domain.CurrentCaller;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** {@code /api/v1/me}: who the key is (the CLI's login checks a key with it). */
@Path("/api/v1/me")
@Produces(MediaType.APPLICATION_JSON)
public class MeResource {

    /** The caller as the API shows it. */
    public record Me(String keyId, String projectId, String role, boolean platformAdmin) {
    }

    private final CurrentCaller caller;

    public MeResource(CurrentCaller caller) {
        this.caller = caller;
    }

    @GET
    @Operation(summary = "The calling key: its id, project and role")
    public Me me() {
        Caller who = caller.get();
        return new Me(who.keyId(), who.projectId(), who.role().value(), who.platformAdmin());
    }
}
