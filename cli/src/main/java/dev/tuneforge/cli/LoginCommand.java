package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.util.Map;

/** {@code tuneforge login}: checks a key against the gateway and saves URL and key for later commands. */
@Command(name = "login", mixinStandardHelpOptions = true,
        description = {"Check an API key against the gateway and save the URL and key for later commands.",
                "The key comes from --key, else $TUNEFORGE_API_KEY, else one line on stdin. `bin/tuneforge up`"
                        + " prints the admin key at the first start."},
        footer = ExitCodes.FOOTER)
class LoginCommand extends ApiCommand {

    @Override
    public Integer call() {
        String key = connection.explicitKey().orElseGet(this::readKey).trim();
        run(new GatewayClient(connection.resolvedUrl(), key), key);
        return ExitCodes.OK;
    }

    @Override
    void run(GatewayClient client) {
        throw new UnsupportedOperationException("login runs with the key it is given");
    }

    private void run(GatewayClient client, String key) {
        JsonNode me = client.get("/api/v1/me", Map.of());
        new CliConfig(client.url(), key).save(connection.configFile());
        if (json()) {
            printJson(me);
        } else {
            out().println("Logged in to " + client.url() + " as " + me.path("key_id").asText() + " (project "
                    + me.path("project_id").asText() + ", role " + me.path("role").asText()
                    + (me.path("platform_admin").asBoolean() ? ", platform admin" : "") + ").");
            out().println("Saved to " + connection.configFile());
        }
    }

    private String readKey() {
        connection.env().err().print("API key: ");
        connection.env().err().flush();
        try {
            String line = connection.env().in().readLine();
            if (line == null || line.isBlank()) {
                throw new CliException(ExitCodes.USAGE, "no API key given (--key, $TUNEFORGE_API_KEY or stdin)");
            }
            return line;
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot read the key from stdin: " + e.getMessage());
        }
    }
}
