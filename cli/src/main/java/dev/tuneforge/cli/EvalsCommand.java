package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import static dev.tuneforge.cli.ApiCommand.text;

/** {@code tuneforge evals list|show}. */
@Command(name = "evals", mixinStandardHelpOptions = true,
        description = "Evaluations of finished jobs: the candidate against the base model, the champion and the base model"
                + " prompted with training examples (few-shot), and the gate.",
        subcommands = {EvalsCommand.ListEvals.class, EvalsCommand.Show.class},
        footer = ExitCodes.FOOTER)
class EvalsCommand implements Callable<Integer> {

    /** The report's subjects, in the order they are printed. */
    static final List<String> SUBJECTS = List.of("candidate", "base", "champion", "few_shot");

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return TuneforgeCli.usage(spec, ((TuneforgeCli) spec.root().userObject()).env());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the project's evaluations, oldest first.",
            footer = ExitCodes.FOOTER)
    static class ListEvals extends ApiCommand {

        @Option(names = "--job", paramLabel = "JOB", description = "Only the evaluations of this job.")
        String job;

        @Option(names = "--model", paramLabel = "NAME", description = "Only the evaluations of this model name.")
        String model;

        @Mixin
        Paging paging;

        @Override
        void run(GatewayClient client) {
            Map<String, Object> query = new HashMap<>();
            query.put("job_id", job);
            query.put("model_name", model);
            paging.addTo(query);
            printPage(client.get("/api/v1/evals", query),
                    List.of("ID", "OUTCOME", "JOB", "MODEL", "EXACT MATCH", "LOSS", "CREATED"),
                    List.of(e -> text(e, "id"), e -> text(e, "outcome"), e -> text(e, "job_id"),
                            e -> text(e, "model_name"), e -> number(e.path("metrics").path("exact_match")),
                            e -> number(e.path("metrics").path("loss")), e -> text(e, "created_at")));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"An evaluation: candidate, base, champion and few-shot (the base model prompted with k",
                    "training examples) side by side (each metric with its 95% interval), the candidate's wins and",
                    "losses against the few-shot baseline, then every gate rule, ✓ passed or ✗ failed, and the reason."},
            footer = ExitCodes.FOOTER)
    static class Show extends ApiCommand {

        @Parameters(paramLabel = "EVAL")
        String id;

        @Override
        void run(GatewayClient client) {
            JsonNode eval = client.get("/api/v1/evals/" + id, Map.of());
            if (json()) {
                printJson(eval);
                return;
            }
            PrintWriter out = out();
            out.printf("%s  %s  job %s  model %s%n", text(eval, "id"), text(eval, "outcome"), text(eval, "job_id"),
                    text(eval, "model_name"));
            JsonNode report = eval.path("report");
            if (!report.isObject()) {
                out.println("(no report; the candidate's metrics:)");
                List<List<String>> rows = new ArrayList<>();
                rows.add(List.of("METRIC", "CANDIDATE"));
                eval.path("metrics").fields().forEachRemaining(m -> rows.add(List.of(m.getKey(), number(m.getValue()))));
                printTable(rows);
            } else {
                if (report.hasNonNull("runtime")) {
                    out.printf("evaluated on the %s runtime (slot %s)%n", text(report, "runtime"), text(report, "slot"));
                }
                out.println();
                printTable(sideBySide(report.path("subjects")));
                fewShot(report).forEach(out::println);
                JsonNode overfitting = report.path("overfitting");
                if (overfitting.isObject()) {
                    out.printf("%ntrain loss %s, held-out loss %s: gap %s%n", number(overfitting.path("train_loss")),
                            number(overfitting.path("heldout_loss")), number(overfitting.path("gap")));
                }
            }
            out.println();
            out.println("gate: " + text(eval, "gate"));
            for (JsonNode rule : report.path("gate")) {
                String mark = rule.path("skipped").asBoolean() ? "-" : rule.path("passed").asBoolean() ? "✓" : "✗";
                out.printf("  %s %s: %s%n", mark, text(rule, "rule"), text(rule, "explanation"));
            }
            out.println(eval.path("passed").asBoolean() ? "passed" : "failed: " + text(eval, "reason"));
        }
    }

    /**
     * What the report says of the few-shot baseline besides its column: the candidate's wins, losses and ties against
     * it per metric, or why it was not evaluated.
     */
    static List<String> fewShot(JsonNode report) {
        List<String> lines = new ArrayList<>();
        JsonNode skipped = report.path("few_shot_skipped");
        if (skipped.isObject()) {
            lines.add("few-shot baseline (k=" + skipped.path("k").asInt() + ") not evaluated: " + text(skipped, "reason"));
        }
        report.path("candidate_vs_few_shot").fields().forEachRemaining(m -> lines.add(String.format(
                "candidate vs few-shot, %s: %d wins, %d losses, %d ties", m.getKey(), m.getValue().path("wins").asInt(),
                m.getValue().path("losses").asInt(), m.getValue().path("ties").asInt())));
        return lines;
    }

    /** One row per metric (the candidate's first), one column per subject: "value [lower, upper]". */
    static List<List<String>> sideBySide(JsonNode subjects) {
        List<String> present = SUBJECTS.stream().filter(s -> subjects.path(s).isObject()).toList();
        Set<String> metrics = new LinkedHashSet<>();
        for (String subject : present) {
            subjects.path(subject).path("metrics").fieldNames().forEachRemaining(metrics::add);
        }
        List<List<String>> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("METRIC"));
        for (String subject : present) {
            JsonNode version = subjects.path(subject).path("version");
            JsonNode k = subjects.path(subject).path("k");
            header.add(subject.toUpperCase().replace('_', '-') + (version.isNumber() ? " v" + version.asInt() : "")
                    + (k.isNumber() ? " k=" + k.asInt() : ""));
        }
        rows.add(header);
        for (String metric : metrics) {
            List<String> row = new ArrayList<>(List.of(metric));
            for (String subject : present) {
                JsonNode value = subjects.path(subject).path("metrics").path(metric);
                JsonNode ci = subjects.path(subject).path("ci95").path(metric);
                row.add(number(value) + (ci.isArray() && ci.size() == 2
                        ? " [" + number(ci.get(0)) + ", " + number(ci.get(1)) + "]" : ""));
            }
            rows.add(row);
        }
        return rows;
    }

    static String number(JsonNode value) {
        return value.isNumber() ? String.format("%.4f", value.asDouble()) : "-";
    }
}
