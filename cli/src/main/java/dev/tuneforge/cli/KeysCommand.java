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

/** {@code tuneforge keys list|create|rotate|revoke}. */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"API keys of a project (admin keys only). A key has a role: admin (everything, keys"
                + " included), member (read and write) or read-only.",
                "Secrets are shown once, by create and rotate; the gateway keeps only their hash."},
        subcommands = {KeysCommand.ListKeys.class, KeysCommand.CreateKey.class, KeysCommand.RotateKey.class,
                KeysCommand.RevokeKey.class},
        footer = ExitCodes.FOOTER)
class KeysCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return TuneforgeCli.usage(spec, ((TuneforgeCli) spec.root().userObject()).env());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the keys of your project (or of --project).",
            footer = ExitCodes.FOOTER)
    static class ListKeys extends ApiCommand {

        @Option(names = "--project", paramLabel = "ID", description = "Another project's keys (platform admin only).")
        String project;

        @Mixin
        Paging paging;

        @Override
        void run(GatewayClient client) {
            Map<String, Object> query = new HashMap<>();
            query.put("project", project);
            paging.addTo(query);
            JsonNode page = client.get("/api/v1/keys", query);
            printPage(page, List.of("ID", "NAME", "ROLE", "HINT", "CREATED", "REVOKED"),
                    List.of(k -> text(k, "id"), k -> text(k, "name"), k -> text(k, "role"), k -> text(k, "hint"),
                            k -> text(k, "created_at"), k -> text(k, "revoked_at")));
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a key; its secret is printed once.", footer = ExitCodes.FOOTER)
    static class CreateKey extends ApiCommand {

        @Option(names = "--role", paramLabel = "ROLE", defaultValue = "member",
                description = "admin, member or read-only (default: ${DEFAULT-VALUE}).")
        String role;

        @Option(names = "--name", paramLabel = "NAME", description = "A name to tell the key apart, e.g. 'ci'.")
        String name;

        @Option(names = "--project", paramLabel = "ID",
                description = "Create it in another project (platform admin only). Default: your key's project.")
        String project;

        @Override
        void run(GatewayClient client) {
            Map<String, Object> body = new HashMap<>();
            body.put("role", role);
            body.put("name", name);
            body.put("project_id", project);
            KeysCommand.printSecret(this, client.post("/api/v1/keys", body), "Created");
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Give a key a new secret (printed once); the old secret stops working at once.",
            footer = ExitCodes.FOOTER)
    static class RotateKey extends ApiCommand {

        @Parameters(paramLabel = "KEY_ID", description = "The key's id (key_...), from `keys list`.")
        String id;

        @Override
        void run(GatewayClient client) {
            KeysCommand.printSecret(this, client.post("/api/v1/keys/" + id + "/rotate", null), "Rotated");
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke a key: every request with it answers 401 from now on.", footer = ExitCodes.FOOTER)
    static class RevokeKey extends ApiCommand {

        @Parameters(paramLabel = "KEY_ID", description = "The key's id (key_...), from `keys list`.")
        String id;

        @Override
        void run(GatewayClient client) {
            JsonNode key = client.post("/api/v1/keys/" + id + "/revoke", null);
            if (json()) {
                printJson(key);
            } else {
                out().println("Revoked key " + key.path("id").asText() + ".");
            }
        }
    }

    static void printSecret(ApiCommand command, JsonNode key, String verb) {
        if (command.json()) {
            command.printJson(key);
            return;
        }
        command.out().println(verb + " key " + key.path("id").asText() + " (" + key.path("role").asText()
                + ") in project " + key.path("project_id").asText() + ".");
        command.out().println("Secret, shown only now: " + key.path("secret").asText());
    }
}
