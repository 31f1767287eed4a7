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
 * preference rules decide.
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
        assertEquals(List.of(DataFormat.PREFERENCE, DataFormat.PREFERENCE),
                launcher.tasks().stream().map(EvaluationTask::format).toList(), "candidate and base, as pairs");
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
