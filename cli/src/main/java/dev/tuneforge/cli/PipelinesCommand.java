package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tuneforge pipelines create|list|show|pause|resume|delete}. */
@Command(name = "pipelines", mixinStandardHelpOptions = true,
        description = "Retraining pipelines: retrain a model when its dataset grows, behind an evaluation gate.",
        subcommands = {PipelinesCommand.Create.class, PipelinesCommand.ListPipelines.class, PipelinesCommand.Show.class,
                PipelinesCommand.Pause.class, PipelinesCommand.Resume.class, PipelinesCommand.Delete.class},
        footer = ExitCodes.FOOTER)
class PipelinesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return TuneforgeCli.usage(spec, ((TuneforgeCli) spec.root().userObject()).env());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Configure a pipeline: a dataset, a base model and a recipe, retrained when the dataset",
                    "has enough new examples (and the cooldown has passed), promoted only through the gate.",
                    "With --on-drift it also acts when its model's traffic drifts: it retrains, or exports the",
                    "drifted window's prompts as a review dataset (--on-drift-action export_review)."},
            footer = ExitCodes.FOOTER)
    static class Create extends ApiCommand {

        @Option(names = "--dataset", paramLabel = "DATASET", description = "The dataset's id (required).")
        String dataset;

        @Option(names = "--base-model", paramLabel = "NAME", description = "A registered base model (required).")
        String baseModel;

        @Option(names = "--model-name", paramLabel = "NAME", description = "The model it trains (default: the dataset's name).")
        String modelName;

        @Mixin
        RecipeOptions recipe;


        @Option(names = "--gate", paramLabel = "KEY=VALUE", description = "An evaluation gate setting, repeatable.")
        List<String> gate;

        @Option(names = "--min-new-examples", paramLabel = "N", description = "Retrain after N new examples.")
        Integer minNewExamples;

        @Option(names = "--cooldown", paramLabel = "SECONDS", description = "At most one retraining per this many seconds.")
        Integer cooldownSeconds;

        @Option(names = "--runtime", paramLabel = "RUNTIME",
                description = "The worker runtime its jobs train on: djl or torch (default: the platform's, djl).")
        String runtime;

        @Option(names = "--on-drift", paramLabel = "METRIC", split = ",",
                description = {"Act when one of these drift metrics is detected on the model's traffic (e.g.",
                        "prompt_length_psi,output_validity_rate), or 'any'."})
        List<String> onDrift;

        @Option(names = "--on-drift-action", paramLabel = "ACTION", split = ",",
                description = "What to do on drift: retrain (the default) and/or export_review.")
        List<String> onDriftActions;

        @Option(names = "--drift-cooldown", paramLabel = "SECONDS",
                description = "After acting on drift, ignore drift for this many seconds (default 21600).")
        Integer driftCooldownSeconds;

        @Option(names = "--drift-window", paramLabel = "N",
                description = "Measure drift over windows of N observations (N >= 10).")
        Integer driftWindow;

        @Option(names = "--drift-window-seconds", paramLabel = "SECONDS",
                description = "Measure drift over windows of this many seconds (>= 60) instead.")
        Integer driftWindowSeconds;

        @Option(names = "--drift-threshold", paramLabel = "KEY=VALUE",
                description = "A drift threshold (psi, ks_alpha, domain_classifier_auc, ...), repeatable.")
        List<String> driftThresholds;

        @Override
        void run(GatewayClient client) {
            requireOptions(dataset, baseModel);
            Map<String, Object> triggers = new LinkedHashMap<>();
            if (minNewExamples != null) {
                triggers.put("min_new_examples", minNewExamples);
            }
            if (cooldownSeconds != null) {
                triggers.put("cooldown_seconds", cooldownSeconds);
            }
            putDriftTriggers(triggers);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("dataset_id", dataset);
            body.put("base_model", baseModel);
            body.put("model_name", modelName);
            body.put("method", recipe.method);
            body.put("hyperparameters", recipe.hyperparameters());
            body.put("gate", Settings.parse(gate, "--gate"));
            body.put("triggers", triggers);
            body.put("runtime", runtime);
            JsonNode pipeline = client.post("/api/v1/pipelines", body);
            if (json()) {
                printJson(pipeline);
            } else {
                out().print("Created pipeline ");
                describe(this, pipeline);
            }
        }

        /** The drift sections of the triggers, as the gateway checks them; any on_drift option makes on_drift. */
        private void putDriftTriggers(Map<String, Object> triggers) {
            if (onDrift != null || onDriftActions != null || driftCooldownSeconds != null) {
                Map<String, Object> section = new LinkedHashMap<>();
                if (onDrift != null && !onDrift.equals(List.of("any"))) {
                    section.put("metrics", onDrift);
                }
                if (onDriftActions != null) {
                    section.put("actions", onDriftActions);
                }
                if (driftCooldownSeconds != null) {
                    section.put("cooldown_seconds", driftCooldownSeconds);
                }
                triggers.put("on_drift", section);
            }
            if (driftWindow != null || driftWindowSeconds != null) {
                Map<String, Object> window = new LinkedHashMap<>();
                if (driftWindow != null) {
                    window.put("observations", driftWindow);
                }
                if (driftWindowSeconds != null) {
                    window.put("seconds", driftWindowSeconds);
                }
                triggers.put("drift_window", window);
            }
            if (driftThresholds != null) {
                triggers.put("drift_thresholds", Settings.parse(driftThresholds, "--drift-threshold"));
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the project's pipelines.",
            footer = ExitCodes.FOOTER)
    static class ListPipelines extends ApiCommand {

        @Option(names = "--status", paramLabel = "STATUS",
                description = "active, paused or deleted (default: all but deleted).")
        String status;

        @Mixin
        Paging paging;

        @Override
        void run(GatewayClient client) {
            Map<String, Object> query = new HashMap<>();
            query.put("status", status);
            paging.addTo(query);
            printPage(client.get("/api/v1/pipelines", query),
                    List.of("ID", "STATUS", "DATASET", "BASE MODEL", "MODEL", "TRIGGERS"),
                    List.of(p -> text(p, "id"), p -> text(p, "status"), p -> text(p, "dataset_id"),
                            p -> text(p, "base_model"), p -> text(p, "model_name"), p -> p.path("triggers").toString()));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "A pipeline's configuration and status.",
            footer = ExitCodes.FOOTER)
    static class Show extends ApiCommand {

        @Parameters(paramLabel = "PIPELINE")
        String id;

        @Override
        void run(GatewayClient client) {
            JsonNode pipeline = client.get("/api/v1/pipelines/" + id, Map.of());
            if (json()) {
                printJson(pipeline);
            } else {
                describe(this, pipeline);
            }
        }
    }

    /** pause, resume, delete. */
    abstract static class StatusChange extends ApiCommand {

        @Parameters(paramLabel = "PIPELINE")
        String id;

        abstract JsonNode send(GatewayClient client);

        @Override
        void run(GatewayClient client) {
            JsonNode pipeline = send(client);
            if (json()) {
                printJson(pipeline);
            } else {
                out().printf("Pipeline %s is %s.%n", id, text(pipeline, "status"));
            }
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pause a pipeline: no retraining until resumed.",
            footer = ExitCodes.FOOTER)
    static class Pause extends StatusChange {
        @Override
        JsonNode send(GatewayClient client) {
            return client.post("/api/v1/pipelines/" + id + "/pause", null);
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused pipeline.",
            footer = ExitCodes.FOOTER)
    static class Resume extends StatusChange {
        @Override
        JsonNode send(GatewayClient client) {
            return client.post("/api/v1/pipelines/" + id + "/resume", null);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a pipeline; the jobs and models it made stay.", footer = ExitCodes.FOOTER)
    static class Delete extends StatusChange {
        @Override
        JsonNode send(GatewayClient client) {
            return client.delete("/api/v1/pipelines/" + id);
        }
    }

    static void describe(ApiCommand command, JsonNode p) {
        command.out().printf("%s  %s%n", ApiCommand.text(p, "id"), ApiCommand.text(p, "status"));
        command.out().printf("trains %s from %s (%s) on dataset %s%n", ApiCommand.text(p, "model_name"),
                ApiCommand.text(p, "base_model"), ApiCommand.text(p, "method"), ApiCommand.text(p, "dataset_id"));
        command.out().println("hyperparameters " + p.path("hyperparameters"));
        command.out().println("gate " + p.path("gate"));
        command.out().println("triggers " + p.path("triggers"));
        command.out().println("runtime " + (p.hasNonNull("runtime") ? ApiCommand.text(p, "runtime")
                : "the platform's default"));
    }
}
