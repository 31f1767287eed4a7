package dev.tuneforge.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.eval.run.EvalRunner;
import dev.tuneforge.eval.run.EvaluationTask;
import dev.tuneforge.eval.storage.EvalCatalog;
import dev.tuneforge.eval.storage.EvalRuns;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.worker.protocol.DataFormat;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A DPO candidate evaluated on held-out preference pairs, run through {@link EvalRunner#run} on a launcher that plays
 * {@code worker evaluate} ({@link AnsweringLauncher}: the candidate prefers every chosen answer, the base model half of
 * them) with the real broker, S3 server and database: every subject is evaluated on the pairs as pairs, the report has
 * each subject's preference accuracy and the candidate's reward margin with the job's beta, and the gate's
 * preference rules decide. The few-shot baseline (the base model with k pairs of the training split before each
 * held-out pair) is the fourth subject.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "eval"))
class PreferenceEvaluationTest {

    private static final String BASE = "preference-tiny";

    @Inject
    EvalRunner runner;
    @Inject
    EvalRuns runs;
    @Inject
    EvalCatalog catalog;
    @Inject
    ObjectStore store;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private final String runtime = "answering-" + UUID.randomUUID().toString().substring(0, 8);
    private final String project = "prj_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private AnsweringLauncher launcher;
    private TopicClient topics;
    private RunOutcomes outcomes;

    @BeforeEach
    void pairsAndABaseModel() {
        launcher = new AnsweringLauncher(store, runtime);
        topics = new TopicClient(bootstrap);
        outcomes = new RunOutcomes(topics, store);
        store.put(ObjectKeys.baseModel(BASE) + "config.json",
                "{\"max_position_embeddings\": 64}".getBytes(StandardCharsets.UTF_8), "application/json");
        String prefix = "projects/" + project + "/datasets/ds_pairs/v1/";
        StringBuilder pairs = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            pairs.append("{\"messages\":[{\"role\":\"user\",\"content\":\"Is ").append(i).append(" even?\"},")
                    .append("{\"role\":\"assistant\",\"content\":\"").append(i % 2 == 0 ? "yes" : "no")
                    .append("\"}],\"rejected\":\"").append(i % 2 == 0 ? "no" : "yes").append("\"}\n");
        }
        store.put(prefix + "validation.jsonl", pairs.toString().getBytes(StandardCharsets.UTF_8), "application/jsonl");
        // the training split: the held-out pairs again (never to be shown) and three pairs only it has
        StringBuilder train = new StringBuilder(pairs);
        for (int i = 10; i < 13; i++) {
            train.append("{\"messages\":[{\"role\":\"system\",\"content\":\"Answer yes or no.\"},")
                    .append("{\"role\":\"user\",\"content\":\"Is ").append(i).append(" even?\"},")
                    .append("{\"role\":\"assistant\",\"content\":\"").append(i % 2 == 0 ? "yes" : "no")
                    .append("\"}],\"rejected\":\"maybe\"}\n");
        }
        store.put(prefix + "train.jsonl", train.toString().getBytes(StandardCharsets.UTF_8), "application/jsonl");
        catalog.datasetReady(new DatasetReady(project, "ds_pairs", 1, null, "preference", "c", prefix + "train.jsonl",
                "t", 10, prefix + "validation.jsonl", "v", 4, 10, new TokenStats(1, 1, 1, 1, 1, 0),
                prefix + "report.json", null));
    }

    @Test
    void aDpoCandidateIsScoredOnThePairsWithItsBetaAndPassesTheDefaultPreferenceGate() throws Exception {
        String job = requested(Map.of("beta", 0.25, "lora_r", 4));

        runner.run(claim(finished(job, null)), "slot-a", launcher);

        EvalPassed passed = outcomes.outcome(job, EvalPassed.class);
        assertEquals(1.0, passed.metrics().get("preference_accuracy"));
        assertEquals(0.5, passed.metrics().get("reward_margin"), 1e-12, "0.25 * (2.0 - 0.0)");
        assertEquals("preference_accuracy >= base + 0.05 and reward_margin > 0.0 and preference_accuracy >= champion",
                passed.gate());
        JsonNode report = outcomes.report(passed.reportKey());
        assertEquals(0.25, report.path("beta").asDouble());
        assertEquals(0.5, report.at("/subjects/base/metrics/preference_accuracy").asDouble());
        assertEquals(0.0, report.at("/subjects/base/metrics/logp_margin").asDouble());
        assertEquals(2.0, report.at("/subjects/candidate/metrics/logp_margin").asDouble());
        assertEquals(2, report.at("/subjects/candidate/ci95/preference_accuracy").size());
        assertEquals(2, report.at("/candidate_vs_base/preference_accuracy/wins").asInt(), report.toString());
        assertEquals(List.of(DataFormat.PREFERENCE, DataFormat.PREFERENCE, DataFormat.PREFERENCE),
                launcher.tasks().stream().map(EvaluationTask::format).toList(), "candidate, base and few-shot, as pairs");
    }

    @Test
    void theFewShotBaselineIsTheBaseModelWithThreeTrainingPairsBeforeEachHeldOutPairAsContextOnly() throws Exception {
        String job = requested(Map.of());

        runner.run(claim(finished(job, null)), "slot-a", launcher);

        EvaluationTask fewShot = launcher.tasks().get(2);
        assertEquals(null, fewShot.artifactKey(), "the base model");
        List<JsonNode> lines = new String(store.get(fewShot.dataKey()).readAllBytes(), StandardCharsets.UTF_8).lines()
                .map(PreferenceEvaluationTest::json).toList();
        assertEquals(4, lines.size());
        for (int i = 0; i < 4; i++) {
            JsonNode messages = lines.get(i).path("messages");
            assertEquals(8, messages.size(), "three shots of a user and an assistant turn, then the pair's own");
            List<String> shown = new java.util.ArrayList<>();
            for (int t = 0; t < 6; t += 2) {
                assertEquals("user", messages.get(t).path("role").asText());
                shown.add(messages.get(t).path("content").asText());
                assertEquals("assistant", messages.get(t + 1).path("role").asText());
                assertEquals(0, messages.get(t + 1).path("weight").asInt(1), "a shot's answer is context, not scored");
                assertEquals(Integer.parseInt(shown.getLast().replaceAll("\\D", "")) % 2 == 0 ? "yes" : "no",
                        messages.get(t + 1).path("content").asText(), "a shot's chosen answer");
            }
            assertEquals(java.util.Set.of("Is 10 even?", "Is 11 even?", "Is 12 even?"), java.util.Set.copyOf(shown),
                    "only pairs the training split has and the held-out split has not");
            assertEquals("Is " + i + " even?", messages.get(6).path("content").asText());
            assertTrue(messages.get(7).path("weight").isMissingNode(), "the pair's own answer is scored");
            assertEquals(i % 2 == 0 ? "no" : "yes", lines.get(i).path("rejected").asText());
        }
        JsonNode report = outcomes.report(outcomes.outcome(job, EvalPassed.class).reportKey());
        assertEquals(3, report.at("/subjects/few_shot/k").asInt(), report.toString());
        assertEquals(0, report.at("/subjects/few_shot/answers_cut").asInt(), report.toString());
        assertEquals(0.5, report.at("/subjects/few_shot/metrics/preference_accuracy").asDouble());
        assertEquals(2, report.at("/subjects/few_shot/ci95/preference_accuracy").size());
        assertEquals(2, report.at("/candidate_vs_few_shot/preference_accuracy/wins").asInt(), report.toString());
    }

    @Test
    void aPipelinesFewShotRuleFailsACandidateThatDoesNotBeatThePromptedBaseModelByEnough() throws Exception {
        String pipeline = "pl_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        catalog.pipelineConfigured(new PipelineConfigured(project, pipeline, "ds_pairs", BASE, "bot", "dpo", Map.of(),
                Map.of("few_shot", Map.of("k", 2, "min_gain", 0.6)), Map.of(), "active"));
        String job = requested(Map.of());

        runner.run(claim(finished(job, pipeline)), "slot-a", launcher);

        EvalFailed failed = outcomes.outcome(job, EvalFailed.class);
        assertEquals("preference_accuracy 1.0 < few_shot 0.5 + 0.6 = 1.1", failed.reason());
        assertTrue(failed.gate().endsWith(" and preference_accuracy >= few_shot + 0.6"), failed.gate());
        JsonNode report = outcomes.report(failed.reportKey());
        assertEquals(2, report.at("/subjects/few_shot/k").asInt(), report.toString());
        assertEquals(6, json(new String(store.get(launcher.tasks().get(2).dataKey()).readAllBytes(),
                StandardCharsets.UTF_8).lines().findFirst().orElseThrow()).path("messages").size(), "two shots");
    }

    @Test
    void aGateWithKZeroHasNoFewShotBaseline() throws Exception {
        String pipeline = "pl_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        catalog.pipelineConfigured(new PipelineConfigured(project, pipeline, "ds_pairs", BASE, "bot", "dpo", Map.of(),
                Map.of("few_shot", Map.of("k", 0)), Map.of(), "active"));
        String job = requested(Map.of());

        runner.run(claim(finished(job, pipeline)), "slot-a", launcher);

        JsonNode report = outcomes.report(outcomes.outcome(job, EvalPassed.class).reportKey());
        assertTrue(report.at("/subjects/few_shot").isMissingNode(), report.toString());
        assertEquals(2, launcher.tasks().size(), "candidate and base only");
    }

    private static JsonNode json(String line) {
        try {
            return dev.tuneforge.events.EventCodec.mapper().readTree(line);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aPipelinesPreferenceRuleFailsACandidateThatDoesNotGainEnoughOverTheBase() {
        String pipeline = "pl_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        catalog.pipelineConfigured(new PipelineConfigured(project, pipeline, "ds_pairs", BASE, "bot", "dpo", Map.of(),
                Map.of("rules", List.of(), "preference", Map.of("min_accuracy", 0.9, "min_gain_over_base", 0.6)),
                Map.of(), "active"));
        String job = requested(Map.of());

        runner.run(claim(finished(job, pipeline)), "slot-a", launcher);

        EvalFailed failed = outcomes.outcome(job, EvalFailed.class);
        assertEquals("preference_accuracy 1.0 < base 0.5 + 0.6 = 1.1", failed.reason());
        assertEquals(0.2, failed.metrics().get("reward_margin"), 1e-12, "the default beta, 0.1, times 2.0");
    }

    @Test
    void aDpoCandidateWaitsForItsJobsRequestToKnowItsBeta() {
        String job = "job_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

        runner.run(claim(finished(job, null)), "slot-a", launcher);

        assertEquals(Optional.of("pending"), runs.status(job));
        assertEquals(Optional.of("waiting for job " + job + "'s TrainingRequested (its DPO beta)"), runs.reason(job));
        assertEquals(List.of(), launcher.tasks(), "nothing evaluated yet");
    }

    /** A dpo job of the project as TrainingRequested announced it; returns its id. */
    private String requested(Map<String, Object> hyperparameters) {
        String job = "job_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        catalog.jobRequested(new TrainingRequested(project, job, BASE, "ds_pairs", 1, "dpo", hyperparameters, "bot",
                "key", null));
        return job;
    }

    private TrainingFinished finished(String job, String pipeline) {
        return new TrainingFinished(project, job, "bot", BASE, "ds_pairs", 1, "dpo",
                "projects/" + project + "/jobs/" + job + "/output/adapter/", "sha", 10, Map.of("train_loss", 0.5),
                pipeline, runtime);
    }

    private EvalRuns.Run claim(TrainingFinished finished) {
        assertTrue(runs.insertPending("ev_" + UUID.randomUUID().toString().replace("-", ""), finished));
        return runs.claimNext("instance-a", Duration.ofMinutes(5), runtime).orElseThrow();
    }


}
