package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tuneforge datasets upload|list|show|versions}. */
@Command(name = "datasets", mixinStandardHelpOptions = true,
        description = "Datasets: upload JSONL, see the validation report, list versions.",
        subcommands = {DatasetsCommand.Upload.class, DatasetsCommand.ListDatasets.class, DatasetsCommand.Show.class,
                DatasetsCommand.Versions.class},
        footer = ExitCodes.FOOTER)
class DatasetsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return TuneforgeCli.usage(spec, ((TuneforgeCli) spec.root().userObject()).env());
    }

    @Command(name = "upload", mixinStandardHelpOptions = true,
            description = {"Upload a JSONL file (chat, alpaca, completion or preference) as a new dataset, or as a",
                    "new version of one (--append-to), wait for validation and print its report.",
                    "Exits 7 when validation rejects the file."},
            footer = ExitCodes.FOOTER)
    static class Upload extends ApiCommand {

        @Parameters(paramLabel = "FILE", description = "The JSONL file.")
        Path file;

        @Option(names = "--name", description = "Dataset name (default: the file name without extension).")
        String name;

        @Option(names = "--format", description = "chat, alpaca, completion or preference (default: detected).")
        String format;

        @Option(names = "--purpose", description = "training (default) or evaluation: an evaluation set's prompts "
                + "are kept out of every training dataset of the project.")
        String purpose;

        @Option(names = "--base-model", description = "Whose tokenizer counts the tokens (default: the platform's).")
        String baseModel;

        @Option(names = "--validation-file", paramLabel = "FILE",
                description = "Your own validation file, used instead of a split.")
        Path validationFile;

        @Option(names = "--append-to", paramLabel = "DATASET", description = "Add a version to this dataset.")
        String appendTo;

        @Option(names = "--parent", paramLabel = "N",
                description = "With --append-to: the version to append to (default: the latest).")
        Integer parent;

        @Option(names = "--replace", description = "With --append-to: a version of this file alone, not appended.")
        boolean replace;

        @Option(names = "--no-wait", description = "Return once uploaded; do not wait for the validation report.")
        boolean noWait;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
                description = "How long to wait for validation (default: ${DEFAULT-VALUE}).")
        long timeoutSeconds;

        @Override
        void run(GatewayClient client) {
            for (Path path : validationFile == null ? List.of(file) : List.of(file, validationFile)) {
                if (!Files.isReadable(path)) {
                    throw new CliException(ExitCodes.USAGE, "cannot read " + path);
                }
            }
            ProgressBar progress = new ProgressBar(connection.env().err(), size(file) + size(validationFile),
                    !json() && System.console() != null);
            JsonNode accepted;
            if (appendTo == null) {
                Map<String, String> fields = new LinkedHashMap<>();
                fields.put("name", name != null ? name : file.getFileName().toString().replaceFirst("\\.[^.]*$", ""));
                fields.put("format", format);
                fields.put("purpose", purpose);
                fields.put("base_model", baseModel);
                accepted = client.upload("/api/v1/datasets", validationFile == null ? fields : Map.of(), file,
                        validationFile, fields, progress::update);
            } else {
                Map<String, String> fields = new LinkedHashMap<>();
                fields.put("append_to", parent == null ? null : parent.toString());
                fields.put("mode", replace ? "replace" : null);
                accepted = client.upload("/api/v1/datasets/" + appendTo + "/versions",
                        validationFile == null ? fields : Map.of(), file, validationFile, fields, progress::update);
            }
            progress.done();
            String id = accepted.path("id").asText();
            if (noWait) {
                if (json()) {
                    printJson(accepted);
                } else {
                    out().println("Uploaded " + id + "; validating (see `tuneforge datasets show " + id + "`).");
                }
                return;
            }
            JsonNode dataset = awaitVerdict(client, id);
            if (json()) {
                printJson(dataset);
            } else {
                printDataset(this, dataset);
            }
            if ("rejected".equals(dataset.path("status").asText())) {
                throw new CliException(ExitCodes.REJECTED, "dataset " + id + " was rejected: "
                        + dataset.path("reason").asText());
            }
        }

        private JsonNode awaitVerdict(GatewayClient client, String id) {
            long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
            while (true) {
                JsonNode dataset = client.get("/api/v1/datasets/" + id, Map.of());
                if (!"validating".equals(dataset.path("status").asText())) {
                    return dataset;
                }
                if (System.nanoTime() > deadline) {
                    throw new CliException(ExitCodes.ERROR, "dataset " + id + " is still validating after "
                            + timeoutSeconds + " s; see `tuneforge datasets show " + id + "` later");
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CliException(ExitCodes.ERROR, "interrupted");
                }
            }
        }

        private static long size(Path path) {
            try {
                return path == null ? 0 : Files.size(path);
            } catch (IOException e) {
                throw new CliException(ExitCodes.USAGE, "cannot read " + path);
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the project's datasets.",
            footer = ExitCodes.FOOTER)
    static class ListDatasets extends ApiCommand {

        @Mixin
        Paging paging;

        @Override
        void run(GatewayClient client) {
            Map<String, Object> query = new HashMap<>();
            paging.addTo(query);
            printPage(client.get("/api/v1/datasets", query),
                    List.of("ID", "NAME", "FORMAT", "STATUS", "VERSION", "EXAMPLES"),
                    List.of(d -> text(d, "id"), d -> text(d, "name"), d -> text(d, "format"), d -> text(d, "status"),
                            d -> text(d, "version"), d -> text(d, "examples")));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "A dataset and the validation report of its last upload.", footer = ExitCodes.FOOTER)
    static class Show extends ApiCommand {

        @Parameters(paramLabel = "DATASET")
        String id;

        @Override
        void run(GatewayClient client) {
            JsonNode dataset = client.get("/api/v1/datasets/" + id, Map.of());
            if (json()) {
                printJson(dataset);
            } else {
                printDataset(this, dataset);
            }
        }
    }

    @Command(name = "versions", mixinStandardHelpOptions = true,
            description = "A dataset's versions: parents, new examples, files and their sha256.",
            footer = ExitCodes.FOOTER)
    static class Versions extends ApiCommand {

        @Parameters(paramLabel = "DATASET")
        String id;

        @Override
        void run(GatewayClient client) {
            printPage(client.get("/api/v1/datasets/" + id + "/versions", Map.of()),
                    List.of("VERSION", "PARENT", "NEW", "TRAIN", "VALIDATION", "CONTENT SHA256"),
                    List.of(v -> text(v, "version"), v -> text(v, "parent_version"), v -> text(v, "new_examples"),
                            v -> text(v, "train_examples"), v -> text(v, "validation_examples"),
                            v -> text(v, "content_sha256")));
        }
    }

    /** The dataset's state and its report as readable tables. */
    static void printDataset(ApiCommand command, JsonNode dataset) {
        PrintWriter out = command.out();
        out.printf("%s  %s  %s%s%n", dataset.path("id").asText(), dataset.path("name").asText(),
                dataset.path("status").asText(),
                dataset.hasNonNull("version") ? "  version " + dataset.path("version").asText() : "");
        JsonNode report = dataset.path("report");
        if (report.isMissingNode() || report.isNull()) {
            return;
        }
        out.printf("format %s, %s lines, %s examples kept%n", ApiCommand.text(report, "format"),
                ApiCommand.text(report, "lines"), ApiCommand.text(report, "examples"));
        printFindings(command, "Errors", report.path("errors"));
        printFindings(command, "Warnings", report.path("warnings"));
        JsonNode tokens = report.path("tokens");
        if (tokens.isObject()) {
            out.printf("Tokens per example: min %s, p50 %s, p95 %s, max %s; %s tokens per epoch, %s truncated%n",
                    tokens.path("min").asText(), tokens.path("p50").asText(), tokens.path("p95").asText(),
                    tokens.path("max").asText(), ApiCommand.text(report, "billed_tokens"),
                    tokens.path("truncated").asText());
        }
        JsonNode validation = report.path("validation_file");
        if (validation.isObject()) {
            out.println("Validation file:");
            printFindings(command, "Errors", validation.path("errors"));
            printFindings(command, "Warnings", validation.path("warnings"));
        }
    }

    private static void printFindings(ApiCommand command, String title, JsonNode findings) {
        if (!findings.isArray() || findings.isEmpty()) {
            return;
        }
        command.out().println(title + ":");
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("  CHECK", "COUNT", "FIRST LINES", "WHAT"));
        for (JsonNode finding : findings) {
            List<String> lines = new ArrayList<>();
            finding.path("first_lines").forEach(line -> lines.add(line.asText()));
            rows.add(List.of("  " + finding.path("code").asText(), finding.path("count").asText(),
                    lines.isEmpty() ? "-" : String.join(",", lines), finding.path("description").asText()));
        }
        command.printTable(rows);
    }

    /** Upload progress on stderr, redrawn in place; silent when stderr is not a terminal. */
    static final class ProgressBar {
        private final PrintWriter err;
        private final long total;
        private final boolean enabled;
        private int lastPercent = -1;

        ProgressBar(PrintWriter err, long total, boolean enabled) {
            this.err = err;
            this.total = Math.max(1, total);
            this.enabled = enabled;
        }

        void update(long sent) {
            int percent = (int) Math.min(100, sent * 100 / total);
            if (!enabled || percent == lastPercent) {
                return;
            }
            lastPercent = percent;
            int filled = percent / 4;
            err.printf("\ruploading [%s%s] %3d%% %.1f/%.1f MB", "#".repeat(filled), ".".repeat(25 - filled), percent,
                    sent / 1048576.0, total / 1048576.0);
            err.flush();
        }

        void done() {
            if (enabled && lastPercent >= 0) {
                err.println();
                err.flush();
            }
        }
    }
}
