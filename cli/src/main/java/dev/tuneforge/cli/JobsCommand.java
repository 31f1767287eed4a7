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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static dev.tuneforge.cli.ApiCommand.text;

/** {@code tuneforge jobs create|list|show|follow|cancel|pause|resume}. */
@Command(name = "jobs", mixinStandardHelpOptions = true,
        description = "Fine-tuning jobs: submit one, follow its progress live, cancel, pause or resume it.",
        subcommands = {JobsCommand.Create.class, JobsCommand.ListJobs.class, JobsCommand.Show.class,
                JobsCommand.Follow.class, JobsCommand.Cancel.class, JobsCommand.Pause.class, JobsCommand.Resume.class},
        footer = ExitCodes.FOOTER)
class JobsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return TuneforgeCli.usage(spec, ((TuneforgeCli) spec.root().userObject()).env());
    }

    // No mixinStandardHelpOptions: its -V/--version would take --version from the dataset version.
    @Command(name = "create",
            description = {"Submit a fine-tuning job of a base model on a ready dataset version. The gateway checks",
                    "the dataset, the base model and every hyperparameter first and names whatever is wrong."},
            footer = ExitCodes.FOOTER)
    static class Create extends ApiCommand {

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Option(names = "--dataset", paramLabel = "DATASET", description = "The dataset's id (required).")
        String dataset;

        @Option(names = "--version", paramLabel = "N", description = "Dataset version (default: the latest ready).")
        Integer version;

        @Option(names = "--base-model", paramLabel = "NAME",
                description = "A registered base model, required (see `tuneforge base-models list`).")
        String baseModel;

        @Mixin
        RecipeOptions recipe;


        @Option(names = "--model-name", paramLabel = "NAME",
                description = "Name of the resulting model (default: derived from the dataset's name).")
        String modelName;

        @Option(names = "--priority", paramLabel = "N", description = "Higher runs first among queued jobs (default 0).")
        Integer priority;

        @Option(names = "--runtime", paramLabel = "RUNTIME",
                description = "The worker runtime that trains it: djl or torch (default: the platform's, djl).")
        String runtime;

        @Option(names = {"-f", "--follow"}, description = "Follow the job until it ends (as `jobs follow`).")
        boolean follow;

        @Override
        void run(GatewayClient client) {
            requireOptions(dataset, baseModel);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("base_model", baseModel);
            body.put("dataset_id", dataset);
            body.put("dataset_version", version);
            body.put("method", recipe.method);
            body.put("hyperparameters", recipe.hyperparameters());
            body.put("model_name", modelName);
            body.put("priority", priority);
            body.put("runtime", runtime);
            JsonNode job = client.post("/api/v1/jobs", body);
            String id = job.path("id").asText();
            if (json()) {
                printJson(job);
            } else {
                out().printf("Created job %s (%s): %s of %s on %s v%s -> model %s%s%n", id, text(job, "state"),
                        text(job, "method"), text(job, "base_model"), text(job, "dataset_id"),
                        text(job, "dataset_version"), text(job, "model_name"),
                        job.hasNonNull("runtime") ? ", runtime " + text(job, "runtime") : "");
                if (!follow) {
                    out().println("Follow it with `tuneforge jobs follow " + id + "`.");
                }
            }
            if (follow) {
                out().flush();
                new Follower(this).follow(client, id);
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the project's jobs, oldest first.",
            footer = ExitCodes.FOOTER)
    static class ListJobs extends ApiCommand {

        @Option(names = "--state", paramLabel = "STATE",
                description = "Only jobs in this state: queued, running, paused, succeeded, failed, cancelled.")
        String state;

        @Mixin
        Paging paging;

        @Override
        void run(GatewayClient client) {
            Map<String, Object> query = new HashMap<>();
            query.put("state", state);
            paging.addTo(query);
            printPage(client.get("/api/v1/jobs", query),
                    List.of("ID", "STATE", "MODEL", "BASE MODEL", "DATASET", "PROGRESS", "LOSS", "CREATED"),
                    List.of(j -> text(j, "id"), j -> text(j, "state"), j -> text(j, "model_name"),
                            j -> text(j, "base_model"), j -> text(j, "dataset_id") + " v" + text(j, "dataset_version"),
                            j -> j.path("progress").isObject() ? text(j.path("progress"), "percent") + "%" : "-",
                            j -> j.path("progress").isObject() ? loss(j.path("progress").path("train_loss")) : "-",
                            j -> text(j, "created_at")));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "A job: state, attempt, latest progress, checkpoint, result or failure.", footer = ExitCodes.FOOTER)
    static class Show extends ApiCommand {

        @Parameters(paramLabel = "JOB")
        String id;

        @Override
        void run(GatewayClient client) {
            JsonNode job = client.get("/api/v1/jobs/" + id, Map.of());
            if (json()) {
                printJson(job);
                return;
            }
            PrintWriter out = out();
            out.printf("%s  %s%n", text(job, "id"), text(job, "state"));
            out.printf("model %s from %s (%s) on dataset %s v%s%n", text(job, "model_name"), text(job, "base_model"),
                    text(job, "method"), text(job, "dataset_id"), text(job, "dataset_version"));
            out.printf("hyperparameters %s%n", job.path("hyperparameters"));
            out.printf("runtime %s%n", job.hasNonNull("runtime") ? text(job, "runtime") : "the platform's default");
            if (job.hasNonNull("attempt")) {
                out.printf("attempt %s%s%n", text(job, "attempt"),
                        job.hasNonNull("retry_reason") ? " (retry after: " + text(job, "retry_reason") + ")" : "");
            }
            JsonNode progress = job.path("progress");
            if (progress.isObject()) {
                out.println("progress " + Follower.progressLine(progress));
            }
            if (job.hasNonNull("last_checkpoint_step")) {
                out.println("last checkpoint at step " + text(job, "last_checkpoint_step"));
            }
            if (job.hasNonNull("artifact_key")) {
                out.printf("result %s (sha256 %s), best step %s%n", text(job, "artifact_key"),
                        text(job, "artifact_sha256"), text(job, "best_step"));
            }
            if (job.hasNonNull("failure_code")) {
                out.printf("failed: %s: %s%n", text(job, "failure_code"), text(job, "failure_message"));
            }
            if (job.hasNonNull("eval_id")) {
                out.printf("evaluation %s: %s (`tuneforge evals show %s`)%n", text(job, "eval_id"),
                        text(job, "eval_outcome"), text(job, "eval_id"));
            }
        }
    }

    @Command(name = "follow", mixinStandardHelpOptions = true,
            description = {"Follow a job live: a progress bar (percent, step, loss, tokens/s, ETA) redrawn in place,",
                    "state changes on their own lines. Exits 0 when it succeeds, 8 if it fails, 9 if cancelled."},
            footer = ExitCodes.FOOTER)
    static class Follow extends ApiCommand {

        @Parameters(paramLabel = "JOB")
        String id;

        @Override
        void run(GatewayClient client) {
            new Follower(this).follow(client, id);
        }
    }

    /** cancel, pause, resume: a command to trainer-service. */
    abstract static class JobAction extends ApiCommand {

        @Parameters(paramLabel = "JOB")
        String id;

        abstract String action();

        @Override
        void run(GatewayClient client) {
            JsonNode answer = client.post("/api/v1/jobs/" + id + "/" + action(), null);
            if (json()) {
                printJson(answer);
            } else {
                out().printf("Asked to %s job %s (it is %s now).%n", action(), id, text(answer, "state"));
            }
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Cancel a job; exits 5 if it is over already.", footer = ExitCodes.FOOTER)
    static class Cancel extends JobAction {
        @Override
        String action() {
            return "cancel";
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "Pause a job: it writes a checkpoint and waits for `resume`.", footer = ExitCodes.FOOTER)
    static class Pause extends JobAction {
        @Override
        String action() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Resume a paused job from its last checkpoint.", footer = ExitCodes.FOOTER)
    static class Resume extends JobAction {
        @Override
        String action() {
            return "resume";
        }
    }

    static String loss(JsonNode value) {
        return value.isNumber() ? String.format("%.4f", value.asDouble()) : "-";
    }

    /** Renders a job's event stream until the job ends; the job's outcome is the exit code. */
    static final class Follower {

        private static final int BAR = 24;

        private final ApiCommand command;
        private boolean barShown;

        Follower(ApiCommand command) {
            this.command = command;
        }

        void follow(GatewayClient client, String id) {
            awaitJob(client, id);
            String[] outcome = new String[1];
            client.follow("/api/v1/jobs/" + id + "/events", null, event -> {
                JsonNode data;
                try {
                    data = GatewayClient.JSON.readTree(event.data()).path("data");
                } catch (IOException e) {
                    return true;
                }
                String type = event.name() == null ? "" : event.name();
                if (command.json()) {
                    command.out().println(event.data());
                } else {
                    render(type, data);
                }
                command.out().flush();
                if (type.startsWith("dev.tuneforge.training.finished.")) {
                    outcome[0] = "succeeded";
                } else if (type.startsWith("dev.tuneforge.training.failed.")) {
                    outcome[0] = "failed";
                } else if (type.startsWith("dev.tuneforge.training.cancelled.")) {
                    outcome[0] = "cancelled";
                }
                return outcome[0] == null;
            });
            endBar();
            command.out().flush();
            if ("failed".equals(outcome[0])) {
                throw new CliException(ExitCodes.JOB_FAILED, "job " + id + " failed");
            }
            if ("cancelled".equals(outcome[0])) {
                throw new CliException(ExitCodes.JOB_CANCELLED, "job " + id + " was cancelled");
            }
        }

        /** A job just created reaches the read model a moment later. */
        private static void awaitJob(GatewayClient client, String id) {
            long deadline = System.nanoTime() + 15_000_000_000L;
            while (true) {
                try {
                    client.get("/api/v1/jobs/" + id, Map.of());
                    return;
                } catch (CliException e) {
                    if (e.exitCode() != ExitCodes.NOT_FOUND || System.nanoTime() > deadline) {
                        throw e;
                    }
                }
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CliException(ExitCodes.ERROR, "interrupted");
                }
            }
        }

        private void render(String type, JsonNode d) {
            String verb = type.replaceFirst("^dev\\.tuneforge\\.training\\.", "").replaceFirst("\\.v\\d+$", "");
            switch (verb) {
                case "progress" -> bar(d);
                case "requested" -> line(String.format("queued: %s of %s on %s v%s -> model %s", text(d, "method"),
                        text(d, "baseModel"), text(d, "datasetId"), text(d, "datasetVersion"), text(d, "modelName")));
                case "started" -> line("running: attempt " + text(d, "attempt") + " on " + text(d, "slot") + " ("
                        + text(d, "runtime") + ")"
                        + (d.hasNonNull("resumedFromStep") ? ", resumed from step " + text(d, "resumedFromStep") : "")
                        + (d.hasNonNull("retryReason") ? "; retry after: " + text(d, "retryReason") : ""));
                case "checkpoint-saved" -> line("checkpoint: step " + text(d, "step"));
                case "paused" -> line("paused" + (d.hasNonNull("lastCheckpointStep")
                        ? " at checkpoint step " + text(d, "lastCheckpointStep") : ""));
                case "resumed" -> line("queued again" + (d.hasNonNull("fromStep")
                        ? ", resumes from step " + text(d, "fromStep") : ""));
                case "cancel-requested", "pause-requested", "resume-requested" ->
                        line(verb.replace("-requested", "") + " requested");
                case "finished" -> line("succeeded: model " + text(d, "modelName") + " at " + text(d, "artifactKey")
                        + " (best step " + text(d, "bestStep") + ")");
                case "failed" -> line("failed: " + text(d, "code") + ": " + text(d, "message") + " (after "
                        + text(d, "attempts") + " attempt" + ("1".equals(text(d, "attempts")) ? "" : "s") + ")");
                case "cancelled" -> line("cancelled" + (d.hasNonNull("lastCheckpointStep")
                        ? " (last checkpoint at step " + text(d, "lastCheckpointStep") + ")" : ""));
                default -> {
                    // another event of the job: nothing to show
                }
            }
        }

        private void bar(JsonNode d) {
            long step = d.path("step").asLong();
            long total = Math.max(1, d.path("totalSteps").asLong());
            double percent = Math.min(100.0, step * 100.0 / total);
            int filled = (int) Math.round(percent / 100 * BAR);
            command.out().print("\r[" + "#".repeat(filled) + ".".repeat(BAR - filled) + "] " + String.format("%5.1f%% ",
                    percent) + progressText(step, total, d.path("trainLoss"), d.path("validLoss"),
                    d.path("tokensPerSecond"), d.path("etaSeconds")) + "   ");
            barShown = true;
        }

        /** "step 2/4  loss 2.1000  valid 2.3000  1000 tok/s  ETA 0:20". */
        static String progressText(long step, long total, JsonNode loss, JsonNode validLoss, JsonNode tokensPerSecond,
                                   JsonNode eta) {
            StringBuilder text = new StringBuilder("step " + step + "/" + total + "  loss " + loss(loss));
            if (validLoss.isNumber()) {
                text.append("  valid ").append(loss(validLoss));
            }
            text.append("  ").append(Math.round(tokensPerSecond.asDouble())).append(" tok/s");
            text.append("  ETA ").append(eta.isNumber() ? duration(eta.asLong()) : "-");
            return text.toString();
        }

        /** The same line from a job's {@code progress} (snake_case, as GET /api/v1/jobs/{id} shows it). */
        static String progressLine(JsonNode p) {
            return text(p, "percent") + "%  " + progressText(p.path("step").asLong(), p.path("total_steps").asLong(),
                    p.path("train_loss"), p.path("valid_loss"), p.path("tokens_per_second"), p.path("eta_seconds"));
        }

        static String duration(long seconds) {
            long h = seconds / 3600;
            long m = seconds % 3600 / 60;
            long s = seconds % 60;
            return h > 0 ? String.format("%d:%02d:%02d", h, m, s) : String.format("%d:%02d", m, s);
        }

        private void line(String text) {
            endBar();
            command.out().println(text);
        }

        private void endBar() {
            if (barShown) {
                command.out().println();
                barShown = false;
            }
        }
    }
}
