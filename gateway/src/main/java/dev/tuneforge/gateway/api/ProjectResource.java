package dev.tuneforge.gateway.api;

import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.CurrentCaller;
import dev.tuneforge.gateway.domain.Page;
import dev.tuneforge.gateway.domain.ProjectSettings;
import dev.tuneforge.gateway.domain.ProjectView;
import dev.tuneforge.gateway.domain.Projects;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
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
 * {@code /api/v1/projects}: the platform admin creates and lists projects; others see their own. A project's settings
 * are read by any key of it and changed by its admins (and the platform admin).
 */
@Path("/api/v1/projects")
@Produces(MediaType.APPLICATION_JSON)
public class ProjectResource {

    /** The body of a project creation. */
    public record NewProject(String id) {
    }

    private final Projects projects;
    private final CurrentCaller caller;

    public ProjectResource(Projects projects, CurrentCaller caller) {
        this.projects = projects;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a project (platform admin)")
    @SecurityRequirement(name = GatewayApi.API_KEY, scopes = GatewayApi.PLATFORM_ADMIN)
    public RestResponse<ProjectView> create(NewProject body) {
        ProjectView project = projects.create(caller.get(), body == null ? null : body.id());
        return RestResponse.ResponseBuilder.<ProjectView>created(URI.create("/api/v1/projects/" + project.id()))
                .entity(project).build();
    }

    @GET
    @Operation(summary = "Projects: every one for the platform admin, the caller's own for anyone else")
    public Page<ProjectView> list(@QueryParam("limit") Integer limit, @QueryParam("after") String after) {
        return projects.list(caller.get(), after, Cursor.limit(limit));
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One project")
    public ProjectView get(@PathParam("id") String id) {
        return projects.get(caller.get(), id);
    }

    @GET
    @Path("/{id}/settings")
    @Operation(summary = "A project's settings: observations.raw_text (false: observations keep derived features only,"
            + " no text)")
    public ProjectSettings settings(@PathParam("id") String id) {
        return projects.settings(caller.get(), id);
    }

    @PUT
    @Path("/{id}/settings")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Change a project's settings: {\"observations\": {\"raw_text\": false}} stores no text of"
            + " the observations from now on (batches already stored are left as they are)")
    @SecurityRequirement(name = GatewayApi.API_KEY, scopes = GatewayApi.ADMIN)
    public ProjectSettings updateSettings(@PathParam("id") String id, ProjectSettings body) {
        return projects.update(caller.get(), id, body);
    }
}
