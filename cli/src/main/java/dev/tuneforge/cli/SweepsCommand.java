package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tuneforge sweeps create|list|show}. */
@Command(name = "sweeps", mixinStandardHelpOptions = true,
        description = "Hyperparameter sweeps: trials of a recipe over a search space, the best one evaluated.",
        subcommands = {SweepsCommand.Create.class, SweepsCommand.ListSweeps.class, SweepsCommand.Show.class},
        footer = ExitCodes.FOOTER)
class SweepsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return TuneforgeCli.usage(spec, ((TuneforgeCli) spec.root().userObject()).env());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Start a sweep: each trial is a job with the base recipe (--set) and its values of the",
                    "search space (--param); trials worse than the median at a validation are stopped early; the",
                    "best trial is evaluated against the gate and, if it passes, promoted."},
            footer = ExitCodes.FOOTER)
    static class Create extends ApiCommand {

        @Option(names = "--dataset", paramLabel = "DATASET", description = "The dataset's id (required).")
        String dataset;

        @Option(names = "--dataset-version", paramLabel = "N", description = "A ready version (default: the latest).")
        Integer datasetVersion;

        @Option(names = "--base-model", paramLabel = "NAME", description = "A registered base model (required).")
        String baseModel;

        @Option(names = "--model-name", paramLabel = "NAME", description = "The model it trains (default: the dataset's name).")
        String modelName;

        /** Every trial's base recipe, as `jobs create` takes it. */
        @Mixin
        RecipeOptions recipe;

        @Option(names = "--param", paramLabel = "NAME=VALUES", required = false,
                description = {"A parameter of the search space, repeatable: values separated by commas",
                        "(learning_rate=1e-4,3e-4; method=lora,full) or, for --strategy random, a range",
                        "lora_r={\"min\":4,\"max\":32} (add \"log\":true for a log scale)."})
        List<String> params;

        @Option(names = "--strategy", paramLabel = "STRATEGY", description = "grid (default) or random.")
        String strategy;

        @Option(names = "--max-trials", paramLabel = "N", description = "At most N trials (random: default 10).")
        Integer maxTrials;

        @Option(names = "--parallelism", paramLabel = "N", description = "Trials running at once (default 2).")
        Integer parallelism;

        @Option(names = "--seed", paramLabel = "N", description = "The random draws' seed (default 0).")
        Long seed;

        @Option(names = "--warmup-evaluations", paramLabel = "N",
                description = "No trial is stopped before its N-th validation (default 2).")
        Integer warmupEvaluations;

        @Option(names = "--min-trials", paramLabel = "N",
                description = "Stop a trial only when N other trials have reached its step (default 2).")
        Integer minTrials;

        @Option(names = "--no-median-stop", description = "Run every trial to its end.")
        boolean noMedianStop;

        @Option(names = "--gate", paramLabel = "KEY=VALUE", description = "An evaluation gate setting, repeatable.")
        List<String> gate;

        @Option(names = "--runtime", paramLabel = "RUNTIME",
                description = "The worker runtime its trials train on: djl or torch (default: the platform's, djl).")
        String runtime;

        @Override
        void run(GatewayClient client) {
            requireOptions(dataset, baseModel);
            Map<String, Object> space = new LinkedHashMap<>();
            Settings.parse(params, "--param").forEach((name, values) ->
                    space.put(name, values instanceof List<?> || values instanceof Map<?, ?> ? values
                            : new ArrayList<>(List.of(values))));
            Map<String, Object> medianStop = new LinkedHashMap<>();
            if (noMedianStop) {
                medianStop.put("enabled", false);
            }
            medianStop.put("warmup_evaluations", warmupEvaluations);
            medianStop.put("min_trials", minTrials);
            medianStop.values().removeIf(java.util.Objects::isNull);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("dataset_id", dataset);
            body.put("dataset_version", datasetVersion);
            body.put("base_model", baseModel);
            body.put("model_name", modelName);
            body.put("method", recipe.method);
            body.put("hyperparameters", recipe.hyperparameters());
            body.put("search_space", space);
            body.put("strategy", strategy);
            body.put("max_trials", maxTrials);
            body.put("parallelism", parallelism);
            body.put("seed", seed);
            body.put("median_stop", medianStop);
            body.put("gate", gate == null ? null : Settings.parse(gate, "--gate"));
            body.put("runtime", runtime);
            JsonNode sweep = client.post("/api/v1/sweeps", body);
            if (json()) {
                printJson(sweep);
            } else {
                out().printf("Created sweep %s (%s over %s)%n", text(sweep, "id"), text(sweep, "strategy"),
                        sweep.path("search_space"));
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the project's sweeps.",
            footer = ExitCodes.FOOTER)
    static class ListSweeps extends ApiCommand {

        @Option(names = "--status", paramLabel = "STATUS", description = "running, succeeded or failed.")
        String status;

        @Mixin
        Paging paging;

        @Override
        void run(GatewayClient client) {
            Map<String, Object> query = new HashMap<>();
            query.put("status", status);
            paging.addTo(query);
            printPage(client.get("/api/v1/sweeps", query),
                    List.of("ID", "STATUS", "DATASET", "MODEL", "STRATEGY", "BEST JOB"),
                    List.of(s -> text(s, "id"), s -> text(s, "status"), s -> text(s, "dataset_id"),
                            s -> text(s, "model_name"), s -> text(s, "strategy"), s -> text(s, "best_job_id")));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "A sweep and every trial: parameters, state, best validation loss, job.",
            footer = ExitCodes.FOOTER)
    static class Show extends ApiCommand {

        @Parameters(paramLabel = "SWEEP")
        String id;

        @Override
        void run(GatewayClient client) {
            JsonNode sweep = client.get("/api/v1/sweeps/" + id, Map.of());
            if (json()) {
                printJson(sweep);
                return;
            }
            out().printf("%s  %s%s%n", text(sweep, "id"), text(sweep, "status"),
                    sweep.hasNonNull("reason") ? " (" + text(sweep, "reason") + ")" : "");
            out().printf("trains %s from %s (%s) on dataset %s v%s, %s over %s%n", text(sweep, "model_name"),
                    text(sweep, "base_model"), text(sweep, "method"), text(sweep, "dataset_id"),
                    text(sweep, "dataset_version"), text(sweep, "strategy"), sweep.path("search_space"));
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("TRIAL", "PARAMETERS", "STATE", "BEST VALID LOSS", "JOB", ""));
            for (JsonNode trial : sweep.path("trials")) {
                rows.add(List.of(text(trial, "index"), trial.path("parameters").toString(), text(trial, "state"),
                        text(trial, "best_valid_loss"), text(trial, "job_id"),
                        trial.path("best").asBoolean() ? "best" : ""));
            }
            printTable(rows);
            for (JsonNode trial : sweep.path("trials")) {
                if (trial.hasNonNull("reason")) {
                    out().printf("trial %s: %s%n", text(trial, "index"), text(trial, "reason"));
                }
            }
        }
    }
}
