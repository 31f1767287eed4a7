package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tuneforge projects list|create}. */
@Command(name = "projects", mixinStandardHelpOptions = true,
        description = "Projects (tenants). The platform admin key creates them and sees all; any other key sees its own.",
        subcommands = {ProjectsCommand.ListProjects.class, ProjectsCommand.CreateProject.class},
        footer = ExitCodes.FOOTER)
class ProjectsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return TuneforgeCli.usage(spec, ((TuneforgeCli) spec.root().userObject()).env());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List projects, by id.",
            footer = ExitCodes.FOOTER)
    static class ListProjects extends ApiCommand {

        @Mixin
        Paging paging;

        @Override
        void run(GatewayClient client) {
            Map<String, Object> query = new HashMap<>();
            paging.addTo(query);
            JsonNode page = client.get("/api/v1/projects", query);
            printPage(page, List.of("ID", "CREATED"), List.of(p -> text(p, "id"), p -> text(p, "created_at")));
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a project (platform admin key only).",
                    "Then `tuneforge keys create --project ID --role admin` gives it its first key."},
            footer = ExitCodes.FOOTER)
    static class CreateProject extends ApiCommand {

        @Parameters(paramLabel = "ID", description = "Project id: 2-40 of a-z, 0-9 and '-', starting with a letter.")
        String id;

        @Override
        void run(GatewayClient client) {
            JsonNode project = client.post("/api/v1/projects", Map.of("id", id));
            if (json()) {
                printJson(project);
            } else {
                out().println("Created project " + project.path("id").asText() + ".");
            }
        }
    }
}
