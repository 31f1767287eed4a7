package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static dev.tuneforge.cli.ApiCommand.text;

/** {@code tuneforge models list|show|versions|promote|rollback|lineage|download}. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = {"The model registry: models, their versions and aliases (champion), model cards, lineage,",
                "promotion and rollback, and downloading a version's adapter or model."},
        subcommands = {ModelsCommand.ListModels.class, ModelsCommand.Show.class, ModelsCommand.Versions.class,
                ModelsCommand.Promote.class, ModelsCommand.Rollback.class, ModelsCommand.Lineage.class,
                ModelsCommand.Download.class},
        footer = ExitCodes.FOOTER)
class ModelsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return TuneforgeCli.usage(spec, ((TuneforgeCli) spec.root().userObject()).env());
    }

    /** NAME:VERSION, or NAME with --version. */
    record Ref(String name, Integer version) {
        static Ref parse(String text, Integer version) {
            int colon = text.lastIndexOf(':');
            if (colon > 0) {
                try {
                    return new Ref(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
                } catch (NumberFormatException e) {
                    throw new CliException(ExitCodes.USAGE, "'" + text + "' is not NAME:VERSION");
                }
            }
            return new Ref(text, version);
        }

        String path() {
            return "/api/v1/models/" + encode(name);
        }

        String versionPath() {
            return path() + "/versions/" + requiredVersion();
        }

        int requiredVersion() {
            if (version == null) {
                throw new CliException(ExitCodes.USAGE, "name a version: " + name + ":N or --version N");
            }
            return version;
        }
    }

    /**
     * The {@code NAME[:VERSION]} argument and its {@code --version N} option, for the commands about one version.
     * It brings its own {@code -h/--help}: those commands cannot have mixinStandardHelpOptions, whose
     * {@code -V/--version} would take {@code --version}.
     */
    static class VersionArgument {

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Parameters(paramLabel = "NAME[:VERSION]")
        String model;

        @Option(names = "--version", paramLabel = "N", description = "The version (as NAME:N).")
        Integer version;

        Ref ref() {
            return Ref.parse(model, version);
        }
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String aliases(JsonNode aliases) {
        List<String> pairs = new ArrayList<>();
        aliases.fields().forEachRemaining(a -> pairs.add(a.getKey() + "=v" + a.getValue().asText()));
        return pairs.isEmpty() ? "-" : String.join(",", pairs);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the project's models, oldest first.",
            footer = ExitCodes.FOOTER)
    static class ListModels extends ApiCommand {

        @Mixin
        Paging paging;

        @Override
        void run(GatewayClient client) {
            Map<String, Object> query = new HashMap<>();
            paging.addTo(query);
            printPage(client.get("/api/v1/models", query), List.of("NAME", "CHAMPION", "LATEST", "ALIASES", "CREATED"),
                    List.of(m -> text(m, "name"), m -> m.hasNonNull("champion") ? "v" + text(m, "champion") : "-",
                            m -> m.hasNonNull("latest_version") ? "v" + text(m, "latest_version") : "-",
                            m -> aliases(m.path("aliases")), m -> text(m, "created_at")));
        }
    }

    @Command(name = "show",
            description = {"A model (its aliases and versions), or with NAME:VERSION (or --version) a version's model",
                    "card: base model, method, hyperparameters, dataset version, who and when, evaluation."},
            footer = ExitCodes.FOOTER)
    static class Show extends ApiCommand {

        @Mixin
        VersionArgument target;

        @Override
        void run(GatewayClient client) {
            Ref ref = target.ref();
            PrintWriter out = out();
            if (ref.version() == null) {
                JsonNode m = client.get(ref.path(), Map.of());
                JsonNode versions = client.get(ref.path() + "/versions", Map.of("limit", 200));
                if (json()) {
                    Map<String, Object> both = new LinkedHashMap<>();
                    both.put("model", m);
                    both.put("versions", versions.path("data"));
                    printJson(GatewayClient.JSON.valueToTree(both));
                    return;
                }
                out.printf("%s  champion %s  aliases %s%n", text(m, "name"),
                        m.hasNonNull("champion") ? "v" + text(m, "champion") : "none", aliases(m.path("aliases")));
                out.println();
                printTable(versionRows(versions));
                return;
            }
            JsonNode card = client.get(ref.versionPath(), Map.of());
            if (json()) {
                printJson(card);
                return;
            }
            out.printf("%s v%s  %s%s%n", text(card, "name"), text(card, "version"), text(card, "status"),
                    card.path("aliases").isEmpty() ? "" : "  (" + String.join(", ",
                            GatewayClient.JSON.convertValue(card.path("aliases"), String[].class)) + ")");
            out.printf("base model  %s (sha256 %s)%n", text(card.path("base_model"), "name"),
                    text(card.path("base_model"), "sha256"));
            out.printf("method      %s %s%n", text(card, "method"), card.path("hyperparameters"));
            out.printf("dataset     %s (%s) v%s, content sha256 %s%n", text(card.path("dataset"), "id"),
                    text(card.path("dataset"), "name"), text(card.path("dataset"), "version"),
                    text(card.path("dataset"), "content_sha256"));
            JsonNode training = card.path("training");
            out.printf("job         %s, asked by %s at %s, finished %s%n", text(card, "job_id"),
                    text(training, "requested_by"), text(training, "requested_at"), text(training, "finished_at"));
            out.printf("artifact    %s (sha256 %s)%n", text(card, "artifact_key"), text(card, "artifact_sha256"));
            JsonNode eval = card.path("eval");
            if (eval.isObject()) {
                out.printf("evaluation  %s: %s%s%n", text(eval, "id"), text(eval, "outcome"),
                        eval.hasNonNull("reason") ? " (" + text(eval, "reason") + ")" : "");
                JsonNode subjects = eval.path("report").path("subjects");
                if (subjects.isObject()) {
                    out.println();
                    printTable(EvalsCommand.sideBySide(subjects));
                }
            } else {
                out.println("evaluation  none");
            }
        }
    }

    static List<List<String>> versionRows(JsonNode page) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("VERSION", "STATUS", "ALIASES", "JOB", "ARTIFACT SHA256", "REGISTERED"));
        for (JsonNode v : page.path("data")) {
            List<String> aliases = new ArrayList<>();
            v.path("aliases").forEach(a -> aliases.add(a.asText()));
            String sha = text(v, "artifact_sha256");
            rows.add(List.of("v" + text(v, "version"), text(v, "status"),
                    aliases.isEmpty() ? "-" : String.join(",", aliases), text(v, "job_id"),
                    sha.length() > 16 ? sha.substring(0, 16) : sha, text(v, "created_at")));
        }
        return rows;
    }

    @Command(name = "versions", mixinStandardHelpOptions = true, description = "List a model's versions.",
            footer = ExitCodes.FOOTER)
    static class Versions extends ApiCommand {

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--limit", paramLabel = "N", description = "At most N versions (1-200, default 50).")
        Integer limit;

        @Option(names = "--after", paramLabel = "VERSION", description = "Start after this version.")
        String after;

        @Override
        void run(GatewayClient client) {
            Map<String, Object> query = new HashMap<>();
            query.put("limit", limit);
            query.put("after", after);
            JsonNode page = client.get("/api/v1/models/" + encode(name) + "/versions", query);
            if (json()) {
                printJson(page);
                return;
            }
            printTable(versionRows(page));
            if (page.path("has_more").asBoolean()) {
                connection.env().err().println("(more: add --after " + page.path("next_after").asText() + ")");
            }
        }
    }

    @Command(name = "promote",
            description = {"Ask the registry to point an alias (default champion) at a version. The registry",
                    "decides; `models show NAME` shows the aliases once it has."},
            footer = ExitCodes.FOOTER)
    static class Promote extends ApiCommand {

        @Mixin
        VersionArgument target;

        @Option(names = "--alias", paramLabel = "ALIAS", description = "The alias (default champion).")
        String alias;

        @Override
        void run(GatewayClient client) {
            Ref ref = target.ref();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("version", ref.requiredVersion());
            body.put("alias", alias);
            JsonNode answer = client.post(ref.path() + "/promote", body);
            if (json()) {
                printJson(answer);
            } else {
                out().printf("Asked to point %s@%s at v%s.%n", ref.name(), text(answer, "alias"), ref.version());
            }
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Ask the registry to give champion back to the previous champion.", footer = ExitCodes.FOOTER)
    static class Rollback extends ApiCommand {

        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        void run(GatewayClient client) {
            JsonNode answer = client.post("/api/v1/models/" + encode(name) + "/rollback", null);
            if (json()) {
                printJson(answer);
            } else {
                out().printf("Asked to roll %s back to its previous champion.%n", name);
            }
        }
    }

    @Command(name = "lineage",
            description = "Where a version comes from: job, dataset version, upload, base model, each with its digest.",
            footer = ExitCodes.FOOTER)
    static class Lineage extends ApiCommand {

        @Mixin
        VersionArgument target;

        @Override
        void run(GatewayClient client) {
            Ref ref = target.ref();
            JsonNode lineage = client.get(ref.versionPath() + "/lineage", Map.of());
            if (json()) {
                printJson(lineage);
                return;
            }
            PrintWriter out = out();
            JsonNode m = lineage.path("model");
            out.printf("model    %s v%s  artifact %s (sha256 %s)%n", text(m, "name"), text(m, "version"),
                    text(m, "artifact_key"), text(m, "artifact_sha256"));
            JsonNode job = lineage.path("job");
            if (job.isObject()) {
                out.printf("  <- job      %s (%s, %s) asked by %s at %s%n", text(job, "id"), text(job, "method"),
                        text(job, "state"), text(job, "requested_by"), text(job, "created_at"));
                out.printf("  <- base     %s (sha256 %s)%n", text(job.path("base_model"), "name"),
                        text(job.path("base_model"), "sha256"));
            }
            JsonNode dv = lineage.path("dataset_version");
            if (dv.isObject()) {
                out.printf("  <- dataset  %s (%s) v%s  content sha256 %s%n", text(dv, "dataset_id"), text(dv, "name"),
                        text(dv, "version"), text(dv, "content_sha256"));
                out.printf("               train %s (sha256 %s)%n", text(dv, "train_key"), text(dv, "train_sha256"));
            }
            JsonNode upload = lineage.path("upload");
            if (upload.isObject()) {
                out.printf("  <- upload   %s (sha256 %s, %s bytes) by %s at %s%n", text(upload, "object_key"),
                        text(upload, "sha256"), text(upload, "size_bytes"), text(upload, "uploaded_by"),
                        text(upload, "uploaded_at"));
            }
        }
    }

    @Command(name = "download",
            description = {"Download a version's artifact (adapter or model directory with manifest.json) as a tar,",
                    "or with --presigned print a short-lived URL per file."},
            footer = ExitCodes.FOOTER)
    static class Download extends ApiCommand {

        @Mixin
        VersionArgument target;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where to write the tar"
                + " (default: NAME-vN.tar here).")
        Path output;

        @Option(names = "--presigned", description = "Print presigned URLs instead of downloading.")
        boolean presigned;

        @Override
        void run(GatewayClient client) {
            Ref ref = target.ref();
            String path = ref.versionPath() + "/artifact";
            if (presigned) {
                JsonNode urls = client.get(path, Map.of("presigned", "true"));
                if (json()) {
                    printJson(urls);
                    return;
                }
                out().println("valid until " + text(urls, "expires_at"));
                for (JsonNode file : urls.path("files")) {
                    out().printf("%s  %s%n", text(file, "path"), text(file, "url"));
                }
                return;
            }
            Path target = output != null ? output : Path.of(ref.name() + "-v" + ref.version() + ".tar");
            if (Files.isDirectory(target)) {
                target = target.resolve(ref.name() + "-v" + ref.version() + ".tar");
            }
            long size = client.download(path, Map.of(), target);
            if (json()) {
                printJson(GatewayClient.JSON.createObjectNode().put("file", target.toString()).put("bytes", size));
            } else {
                out().printf("Downloaded %s v%s to %s (%d bytes).%n", ref.name(), ref.version(), target, size);
            }
        }
    }
}
