package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * DPO (docs/WORKER_PROTOCOL.md, "DPO") in both runtimes on the same pairs: each reports rewards in {@code progress}
 * and {@code eval} and keeps the reference log-probabilities; both start from the reference, so both first steps
 * cost {@code log 2}; and {@code evaluate} on held-out pairs with the same model and adapter (the djl run's) gives
 * the same preference fields, per pair and in total.
 */
class DpoTest {

    static final double TOLERANCE = 1e-4;
    private static final Set<String> RESULT_FIELDS = Set.of("index", "loss", "tokens", "token_accuracy", "generated",
            "reference", "exact_match", "chosen_logp", "rejected_logp", "prefers_chosen");

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void aDpoRunReportsRewardsInProgressAndEvalAndKeepsTheReferenceLogProbabilities(Runtime runtime) {
        WorkerRun.Outcome run = Suite.dpo(runtime);
        WorkerEvent.Started started = run.last(WorkerEvent.Started.class);
        assertEquals(Suite.TRAIN_PAIRS, started.trainExamples(), run.describe());
        assertEquals(Suite.VALIDATION_PAIRS, started.validationExamples(), run.describe());
        assertEquals(Suite.DPO_STEPS, started.totalSteps(), run.describe());
        List<WorkerEvent.Progress> progress = run.all(WorkerEvent.Progress.class);
        assertEquals(Suite.DPO_STEPS, progress.size(), run.describe());
        for (WorkerEvent.Progress p : progress) {
            assertNotNull(p.rewardAccuracy(), p.toString());
            assertNotNull(p.rewardMargin(), p.toString());
        }
        List<WorkerEvent.Eval> evals = run.all(WorkerEvent.Eval.class);
        assertEquals(List.of((long) Suite.DPO_EVERY, (long) Suite.DPO_STEPS),
                evals.stream().map(WorkerEvent.Eval::step).toList(), run.describe());
        for (WorkerEvent.Eval e : evals) {
            assertNotNull(e.rewardAccuracy(), e.toString());
            assertNotNull(e.rewardMargin(), e.toString());
        }
        Path adapter = Path.of(run.last(WorkerEvent.Finished.class).outputs().get("adapter"));
        assertTrue(Files.isRegularFile(adapter.resolve("adapter_model.safetensors")), run.describe());
        assertTrue(Files.isRegularFile(run.workdir().resolve("out/reference_logps.json")), run.describe());
    }

    @Test
    void bothRuntimesStartFromTheReferenceSoTheirFirstStepsCostTheSame() {
        for (Runtime runtime : Runtime.values()) {
            WorkerEvent.Progress first = Suite.dpo(runtime).all(WorkerEvent.Progress.class).getFirst();
            assertEquals(Math.log(2), first.trainLoss(), 1e-5, runtime + ": " + first);
            assertEquals(0, first.rewardMargin(), 1e-5, runtime + ": " + first);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void evaluateOnPairsAddsTheDocumentedFieldsAndTheirTotals(Runtime runtime) throws IOException {
        WorkerRun.Outcome run = Suite.preferenceEvaluation(runtime);
        List<JsonNode> lines = EvaluateResultsTest.results(run);
        assertEquals(Suite.HELD_OUT_PAIRS, lines.size(), run.describe());
        double preferred = 0;
        double margin = 0;
        for (JsonNode line : lines) {
            assertEquals(new TreeSet<>(RESULT_FIELDS), Layout.keys(line), line.toString());
            double chosen = line.get("chosen_logp").asDouble();
            double rejected = line.get("rejected_logp").asDouble();
            assertEquals(chosen > rejected, line.get("prefers_chosen").asBoolean(), line.toString());
            preferred += chosen > rejected ? 1 : 0;
            margin += chosen - rejected;
        }
        Map<String, Double> metrics = run.last(WorkerEvent.Finished.class).numericMetrics();
        assertEquals(Set.of("examples", "valid_loss", "perplexity", "token_accuracy", "tokens", "exact_match",
                "preference_accuracy", "logp_margin"), metrics.keySet(), run.describe());
        assertEquals(preferred / lines.size(), metrics.get("preference_accuracy"), 1e-12);
        assertEquals(margin / lines.size(), metrics.get("logp_margin"), 1e-9 * Math.max(1, Math.abs(margin)));
    }

    @Test
    void bothRuntimesGiveTheSamePreferenceFieldsForTheSameModelAdapterAndPairs() throws IOException {
        List<JsonNode> djl = EvaluateResultsTest.results(Suite.preferenceEvaluation(Runtime.DJL));
        List<JsonNode> torch = EvaluateResultsTest.results(Suite.preferenceEvaluation(Runtime.TORCH));
        assertEquals(djl.size(), torch.size());
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < djl.size(); i++) {
            for (String field : List.of("chosen_logp", "rejected_logp", "loss")) {
                double d = djl.get(i).get(field).asDouble();
                double t = torch.get(i).get(field).asDouble();
                if (Math.abs(d - t) > TOLERANCE * Math.abs(d)) {
                    differences.add(i + ": " + field + " djl " + d + ", torch " + t);
                }
            }
            for (String field : List.of("prefers_chosen", "tokens", "token_accuracy", "generated", "reference")) {
                if (!djl.get(i).get(field).equals(torch.get(i).get(field))) {
                    differences.add(i + ": " + field + " djl " + djl.get(i).get(field) + ", torch "
                            + torch.get(i).get(field));
                }
            }
        }
        assertEquals(List.of(), differences, "the runtimes score the same pairs the same");
        Map<String, Double> d = Suite.preferenceEvaluation(Runtime.DJL).last(WorkerEvent.Finished.class).numericMetrics();
        Map<String, Double> t = Suite.preferenceEvaluation(Runtime.TORCH).last(WorkerEvent.Finished.class)
                .numericMetrics();
        assertEquals(d.get("preference_accuracy"), t.get("preference_accuracy"));
        assertEquals(d.get("logp_margin"), t.get("logp_margin"), TOLERANCE * Math.max(1, Math.abs(d.get("logp_margin"))));
    }
}
