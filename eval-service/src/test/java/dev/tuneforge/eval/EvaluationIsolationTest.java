package dev.tuneforge.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.eval.run.EvalRunner;
import dev.tuneforge.eval.run.EvaluationTask;
import dev.tuneforge.eval.run.LeftoverObjects;
import dev.tuneforge.eval.storage.EvalCatalog;
import dev.tuneforge.eval.storage.EvalRuns;
import dev.tuneforge.eval.storage.EvalRuns.Run;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an evaluation may touch. The runs are claimed here, as the instances named in each test would claim them, and
 * run through {@link EvalRunner#run} on a launcher that plays {@code worker evaluate} ({@link AnsweringLauncher}, on a
 * runtime of its own that no slot of the application claims), with the real broker, S3 server and database: a gate
 * whose schema reaches outside itself fails the evaluation before any model runs and without a request leaving
 * eval-service; a forgetting set of another project is never evaluated on; two projects with the same dataset id and
 * base model do not share cached results; an instance that lost its claim cannot overwrite the report of the instance
 * that took the evaluation over, and the report of one that died before recording an outcome does not outlive the
 * evaluation.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "eval"))
class EvaluationIsolationTest {

    private static final String BASE = "isolation-tiny";

    @Inject
    EvalRunner runner;
    @Inject
    EvalRuns runs;
    @Inject
    EvalCatalog catalog;
    @Inject
    ObjectStore store;
    @Inject
    LeftoverObjects leftovers;
    @Inject
    Jdbc jdbc;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private final String runtime = "answering-" + UUID.randomUUID().toString().substring(0, 8);
    private AnsweringLauncher launcher;
    private TopicClient topics;
    private RunOutcomes outcomes;

    @BeforeEach
    void setUp() {
        launcher = new AnsweringLauncher(store, runtime);
        topics = new TopicClient(bootstrap);
        outcomes = new RunOutcomes(topics, store);
        store.put(ObjectKeys.baseModel(BASE) + "config.json",
                "{\"max_position_embeddings\": 64}".getBytes(StandardCharsets.UTF_8), "application/json");
    }

    @Test
    void aGateSchemaThatReachesOutsideItselfFailsTheEvaluationAndNothingIsFetched() throws Exception {
        String project = newId("prj");
        heldOut(project, "ds_gate", 3);
        try (LoopbackServer server = LoopbackServer.start()) {
            String outside = server.url() + "/answer.schema.json";
            String pipeline = pipeline(project, Map.of("json_schema", Map.of("type", "object",
                    "properties", Map.of("answer", Map.of("$ref", outside)))));
            String job = newId("job");

            runner.run(claim(finished(project, job, "ds_gate", pipeline), "instance-a"), "slot-a", launcher);

            EvalFailed failed = outcomes.outcome(job, EvalFailed.class);
            assertEquals(0, server.requests(), "eval-service fetched the schema's reference");
            assertEquals("evaluation could not run: the pipeline's gate is refused: json_schema: $ref '" + outside
                    + "' at /properties/answer points outside the schema: only references within it (#/...) are"
                    + " allowed", failed.reason());
            assertEquals(List.of(), launcher.tasks(), "refused before any model was evaluated");
        }
    }

    @Test
    void aForgettingSetOfAnotherProjectIsNotEvaluatedOnAndTheEvaluationSaysItIsNotInThisProject() {
        String mine = newId("prj");
        String theirs = newId("prj");
        heldOut(mine, "ds_mine", 3);
        heldOut(theirs, "ds_theirs", 4);
        String pipeline = pipeline(mine, Map.of("forgetting", Map.of("dataset_id", "ds_theirs", "dataset_version", 1,
                "max_loss_increase", 0.1)));
        String job = newId("job");

        runner.run(claim(finished(mine, job, "ds_mine", pipeline), "instance-a"), "slot-a", launcher);

        EvalFailed failed = outcomes.outcome(job, EvalFailed.class);
        assertEquals("evaluation could not run: the forgetting set ds_theirs version 1 is not a ready dataset version"
                + " of this project (" + mine + ")", failed.reason());
        assertEquals(List.of(), launcher.tasks().stream().map(EvaluationTask::dataKey)
                .filter(key -> !key.startsWith("projects/" + mine + "/")).toList(), "read another project's data");
    }

    @Test
    void twoProjectsWithTheSameDatasetIdAndBaseModelDoNotShareCachedResults() throws Exception {
        String first = newId("prj");
        String second = newId("prj");
        heldOut(first, "ds_same", 3);
        heldOut(second, "ds_same", 5);
        String firstJob = newId("job");
        String secondJob = newId("job");

        runner.run(claim(finished(first, firstJob, "ds_same", null), "instance-a"), "slot-a", launcher);
        runner.run(claim(finished(second, secondJob, "ds_same", null), "instance-a"), "slot-a", launcher);

        JsonNode firstReport = outcomes.report(outcomes.outcome(firstJob, EvalFailed.class).reportKey());
        JsonNode secondReport = outcomes.report(outcomes.outcome(secondJob, EvalFailed.class).reportKey());
        assertEquals(3, firstReport.at("/subjects/base/metrics/examples").asInt(), firstReport.toString());
        assertEquals(5, secondReport.at("/subjects/base/metrics/examples").asInt(),
                "the second project's base model was scored on the first project's data: " + secondReport);
        assertEquals(5, secondReport.at("/subjects/candidate/metrics/examples").asInt(), secondReport.toString());
    }

    @Test
    void anInstanceThatLostItsClaimCannotOverwriteTheReportOfTheOneThatTookOver() throws Exception {
        String project = newId("prj");
        heldOut(project, "ds_lease", 3);
        String job = newId("job");
        Run stale = claim(finished(project, job, "ds_lease", null), "instance-a");
        // instance-a stalls past its lease; instance-b takes the evaluation over and finishes it
        jdbc.update("UPDATE eval_runs SET lease_expires_at = now() - interval '1 second' WHERE eval_id = ?",
                stale.evalId());
        Run current = runs.claimNext("instance-b", Duration.ofMinutes(5), runtime).orElseThrow();
        assertEquals(stale.evalId(), current.evalId());
        runner.run(current, "slot-b", launcher);
        String reportKey = outcomes.outcome(job, EvalFailed.class).reportKey();

        runner.run(stale, "slot-a", launcher); // instance-a wakes up and finishes its own work

        assertEquals("slot-b", outcomes.report(reportKey).path("slot").asText(),
                "the stale instance overwrote the report");
        assertEquals(reportKey, jdbc.queryOne("SELECT report_key FROM eval_runs WHERE eval_id = ?",
                r -> r.getString(1), current.evalId()).orElseThrow());
        // (S3Proxy's filesystem backend lists directories too)
        assertEquals(List.of(reportKey), store.list("projects/" + project + "/eval/" + current.evalId() + "/").stream()
                .filter(key -> !key.endsWith("/")).toList(), "the stale instance's report is not left behind");
    }

    @Test
    void theReportOfAClaimWhoseInstanceDiedIsDeletedOnceTheEvaluationHasEnded() throws Exception {
        String project = newId("prj");
        heldOut(project, "ds_dead", 3);
        String job = newId("job");
        Run dead = claim(finished(project, job, "ds_dead", null), "instance-a");
        String prefix = "projects/" + project + "/eval/" + dead.evalId() + "/";
        // instance-a wrote its report and was killed before it recorded the outcome
        store.put(prefix + "attempt-1/report.json", "{\"slot\":\"slot-a\"}".getBytes(StandardCharsets.UTF_8),
                "application/json");
        jdbc.update("UPDATE eval_runs SET lease_expires_at = now() - interval '1 second' WHERE eval_id = ?",
                dead.evalId());
        Run current = runs.claimNext("instance-b", Duration.ofMinutes(5), runtime).orElseThrow();
        assertEquals(2, current.attempts());
        runner.run(current, "slot-b", launcher);
        String reportKey = outcomes.outcome(job, EvalFailed.class).reportKey();
        assertEquals(prefix + "attempt-2/report.json", reportKey);

        while (leftovers.sweepEndedEvaluations() > 0) {
            // every evaluation that has ended so far, a batch at a time (the tick may sweep some first)
        }

        assertEquals(List.of(reportKey), store.list(prefix).stream().filter(key -> !key.endsWith("/")).toList(),
                "what is left of the evaluation in S3 is the report its outcome names");
    }

    /** A ready dataset version of {@code project} with {@code examples} held-out chat examples. */
    private void heldOut(String project, String datasetId, int examples) {
        String prefix = "projects/" + project + "/datasets/" + datasetId + "/v1/";
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < examples; i++) {
            lines.append("{\"messages\":[{\"role\":\"user\",\"content\":\"question ").append(i).append(" of ")
                    .append(project).append("\"},{\"role\":\"assistant\",\"content\":\"answer ").append(i)
                    .append("\"}]}\n");
        }
        store.put(prefix + "validation.jsonl", lines.toString().getBytes(StandardCharsets.UTF_8), "application/jsonl");
        catalog.datasetReady(new DatasetReady(project, datasetId, 1, null, "chat", "c", prefix + "train.jsonl", "t",
                10, prefix + "validation.jsonl", "v", examples, 10, new TokenStats(1, 1, 1, 1, 1, 0),
                prefix + "report.json", null));
    }

    /** A pipeline of {@code project} with this gate; returns its id. */
    private String pipeline(String project, Map<String, Object> gate) {
        String id = newId("pl");
        catalog.pipelineConfigured(new PipelineConfigured(project, id, "ds_any", BASE, "bot", "lora", Map.of(), gate,
                Map.of(), "active"));
        return id;
    }

    private TrainingFinished finished(String project, String job, String datasetId, String pipeline) {
        return new TrainingFinished(project, job, "bot", BASE, datasetId, 1, "lora",
                "projects/" + project + "/jobs/" + job + "/output/adapter/", "sha", 10, Map.of("train_loss", 0.5),
                pipeline, runtime);
    }

    /** The job's evaluation, pending, then claimed by {@code owner}. */
    private Run claim(TrainingFinished finished, String owner) {
        assertTrue(runs.insertPending(newId("ev"), finished));
        return runs.claimNext(owner, Duration.ofMinutes(5), runtime).orElseThrow();
    }



    private static String newId(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }
}
