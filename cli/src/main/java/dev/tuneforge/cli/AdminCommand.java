package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code tuneforge admin ...}: operations on the platform itself, for the platform admin key. */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = "Operations on the platform itself (platform admin key only).",
        subcommands = {AdminCommand.RebuildReadModel.class, DlqCommand.class}, footer = ExitCodes.FOOTER)
class AdminCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return TuneforgeCli.usage(spec, ((TuneforgeCli) spec.root().userObject()).env());
    }

    @Command(name = "rebuild-read-model", mixinStandardHelpOptions = true,
            description = {"Rebuild the gateway's read model by replaying every topic from the beginning.",
                    "The API keeps answering meanwhile; the rebuilt tables replace the live ones when done."},
            footer = ExitCodes.FOOTER)
    static class RebuildReadModel extends ApiCommand {

        @Override
        void run(GatewayClient client) {
            JsonNode result = client.post("/api/v1/admin/read-model/rebuild", null);
            if (json()) {
                printJson(result);
            } else {
                out().println("Rebuilt the read model from " + result.path("records").asLong() + " records: "
                        + result.path("events").asLong() + " events, " + result.path("datasets").asLong()
                        + " datasets (" + result.path("millis").asLong() + " ms).");
            }
        }
    }
}
