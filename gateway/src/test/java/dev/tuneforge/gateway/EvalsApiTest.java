package dev.tuneforge.gateway;

import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

/** Evaluations over the API: projected from EvalPassed/EvalFailed, the report read from S3, the job's outcome. */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class EvalsApiTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** The shape eval-service's EvalRunner writes. */
    static final String REPORT = """
            {"eval_id": "%s", "job_id": "%s", "model_name": "%s", "passed": true, "reason": null,
             "subjects": {
               "candidate": {"metrics": {"exact_match": 0.5, "loss": 1.25}, "ci95": {"exact_match": [0.3, 0.7], "loss": [1.1, 1.4]}},
               "base": {"metrics": {"exact_match": 0.1, "loss": 2.5}, "ci95": {"exact_match": [0.0, 0.2], "loss": [2.3, 2.7]}},
               "champion": {"metrics": {"exact_match": 0.4, "loss": 1.5}, "ci95": {"exact_match": [0.2, 0.6], "loss": [1.3, 1.7]}, "version": 1},
               "few_shot": {"metrics": {"exact_match": 0.3, "loss": 2.0}, "ci95": {"exact_match": [0.1, 0.5], "loss": [1.8, 2.2]}, "k": 3}},
             "gate": [
               {"rule": "exact_match >= base + 0.05", "passed": true, "skipped": false, "actual": 0.5, "threshold": 0.15,
                "explanation": "exact_match 0.5 >= base 0.1 + 0.05 = 0.15"},
               {"rule": "loss <= base", "passed": true, "skipped": false, "actual": 1.25, "threshold": 2.5,
                "explanation": "loss 1.25 <= base 2.5"}],
             "gate_rules": "exact_match >= base + 0.05 and loss <= base",
             "candidate_vs_base": {"exact_match": {"wins": 4, "losses": 0, "ties": 6, "mean_delta": 0.4}},
             "candidate_vs_few_shot": {"exact_match": {"wins": 3, "losses": 1, "ties": 6, "mean_delta": 0.2}},
             "overfitting": {"train_loss": 1.0, "heldout_loss": 1.25, "gap": 0.25}}""";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    ObjectStore store;

    @Test
    void evaluationsAreListedFilteredAndShownWithTheirReportAndTheJobKnowsItsOutcome() {
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key reader = Gateway.newKey(project, "read-only");
        String passedKey = publishPassed(store, topics, project, "job-a", "ev-a", "support");
        topics.publish(new TrainingRequested(project, "job-a", "tiny", "ds", 1, "lora", Map.of(), "support", "k",
                null, 0), "gateway");
        topics.publish(new EvalFailed(project, "ev-b", "job-b", "other", Map.of("exact_match", 0.0),
                "exact_match >= base + 0.05", "exact_match 0.0 < base 0.0 + 0.05", null), "eval-service");

        await().atMost(WAIT).untilAsserted(() -> as(reader.secret()).when().get("/api/v1/evals")
                .then().statusCode(200).body("data.id", contains("ev-a", "ev-b")));
        as(reader.secret()).when().get("/api/v1/evals?model_name=other").then().statusCode(200)
                .body("data.id", contains("ev-b")).body("data[0].outcome", is("failed"))
                .body("data[0].reason", is("exact_match 0.0 < base 0.0 + 0.05"));
        as(reader.secret()).when().get("/api/v1/evals?job_id=job-a&limit=1").then().statusCode(200)
                .body("data.id", contains("ev-a")).body("has_more", is(false));
        as(reader.secret()).when().get("/api/v1/evals?limit=1").then().statusCode(200).body("has_more", is(true));

        as(reader.secret()).when().get("/api/v1/evals/ev-a").then().statusCode(200)
                .body("outcome", is("passed")).body("passed", is(true)).body("job_id", is("job-a"))
                .body("metrics.exact_match", is(0.5f)).body("report_key", is(passedKey))
                .body("report.subjects.champion.version", is(1))
                .body("report.subjects.few_shot.k", is(3))
                .body("report.candidate_vs_few_shot.exact_match.wins", is(3))
                .body("report.subjects.base.ci95.loss[1]", is(2.7f))
                .body("report.gate[0].rule", is("exact_match >= base + 0.05"))
                .body("report.overfitting.gap", is(0.25f));
        as(reader.secret()).when().get("/api/v1/evals/ev-b").then().statusCode(200)
                .body("report", nullValue()).body("outcome", is("failed"));
        as(reader.secret()).when().get("/api/v1/evals/ev-none").then().statusCode(404);

        await().atMost(WAIT).untilAsserted(() -> as(reader.secret()).when().get("/api/v1/jobs/job-a")
                .then().statusCode(200).body("eval_id", is("ev-a")).body("eval_outcome", is("passed")));
        await().atMost(WAIT).untilAsserted(() -> as(reader.secret()).when().get("/api/v1/jobs?state=queued")
                .then().statusCode(200).body("data[0].eval_outcome", is("passed")));

        // Another project sees none of it.
        Gateway.Key other = Gateway.newKey(Gateway.newProject(), "admin");
        as(other.secret()).when().get("/api/v1/evals").then().statusCode(200).body("data.size()", is(0));
        as(other.secret()).when().get("/api/v1/evals/ev-a").then().statusCode(404);
    }

    /**
     * While S3 is away, an evaluation is answered 503 with {@code Retry-After} (the CLI and the dashboard ask again),
     * never 200 without its report; once S3 is back it is shown whole.
     */
    @Test
    void whileS3IsAwayAnEvaluationIsAnswered503NotShownWithoutItsReport() {
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key reader = Gateway.newKey(project, "read-only");
        publishPassed(store, topics, project, "job-s3", "ev-s3", "support");
        await().atMost(WAIT).untilAsserted(() -> as(reader.secret()).when().get("/api/v1/evals/ev-s3")
                .then().statusCode(200).body("report.subjects.base.metrics.exact_match", is(0.1f)));

        TuneforgeStack.stack().killS3();
        try {
            as(reader.secret()).when().get("/api/v1/evals/ev-s3").then().statusCode(503)
                    .header("Retry-After", is("2")).body("type", containsString("unavailable"));
        } finally {
            TuneforgeStack.stack().startS3();
        }
        await().atMost(WAIT).untilAsserted(() -> as(reader.secret()).when().get("/api/v1/evals/ev-s3")
                .then().statusCode(200).body("report.gate[0].rule", is("exact_match >= base + 0.05")));
    }

    /** Writes a report as eval-service does and publishes its EvalPassed; returns the report's key. */
    static String publishPassed(ObjectStore store, TopicClient topics, String project, String job, String evalId,
                                String model) {
        String key = "projects/" + project + "/eval/" + evalId + "/report.json";
        store.put(key, REPORT.formatted(evalId, job, model).getBytes(StandardCharsets.UTF_8), "application/json");
        topics.publish(new EvalPassed(project, evalId, job, model, Map.of("exact_match", 0.5, "loss", 1.25),
                "exact_match >= base + 0.05 and loss <= base", key), "eval-service");
        return key;
    }
}
