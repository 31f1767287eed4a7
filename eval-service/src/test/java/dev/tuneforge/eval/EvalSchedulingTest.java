package dev.tuneforge.eval;

import dev.tuneforge.eval.storage.EvalCatalog;
import dev.tuneforge.eval.storage.EvalRuns;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.SweepFinished;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "eval"))
class EvalSchedulingTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    EvalRuns runs;
    @Inject
    EvalCatalog catalog;
    @Inject
    Jdbc jdbc;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aFinishedJobGetsOneEvaluationEvenWhenRedelivered() {
        String jobId = "job_" + UUID.randomUUID();
        TopicClient topics = new TopicClient(bootstrap);
        EventEnvelope finished = EventEnvelope.wrap(new TrainingFinished("prj_test", jobId, "bot", "tiny-llama",
                "ds_1", 1, "lora", "projects/prj_test/jobs/" + jobId + "/output/adapter/", "aa", 10,
                Map.of("train_loss", 0.5), null), "trainer-service");

        topics.send(TopicClient.toRecord(finished));
        await().atMost(WAIT).until(() -> runs.status(jobId).isPresent());
        RecordMetadata redelivery = topics.send(TopicClient.toRecord(finished));
        await().atMost(WAIT).until(() -> topics.consumed("eval-service", redelivery));

        assertEquals(1, runs.count(jobId));
        // Its dataset version was never announced: after waiting for it (dataset-wait, 3 s in tests) the evaluation
        // fails, once, saying so.
        await().atMost(WAIT).until(() -> !topics.events(EvalFailed.class, jobId).isEmpty());
        assertEquals(1, topics.events(EvalFailed.class, jobId).size());
        assertTrue(topics.events(EvalFailed.class, jobId).getFirst().reason().startsWith("no held-out data"));
    }

    @Test
    void aSweepsTrialIsNotEvaluatedOnItsOwnButAsTheSweepsBestUnderTheSweepsGate() {
        String sweepId = "swp_" + UUID.randomUUID();
        String best = "job_" + UUID.randomUUID();
        String other = "job_" + UUID.randomUUID();
        TopicClient topics = new TopicClient(bootstrap);
        TrainingFinished bestFinished = trial(best, sweepId);
        RecordMetadata bestSent = topics.send(TopicClient.toRecord(EventEnvelope.wrap(bestFinished, "trainer-service")));
        RecordMetadata otherSent = topics.send(TopicClient.toRecord(EventEnvelope.wrap(trial(other, sweepId),
                "trainer-service")));
        await().atMost(WAIT).until(() -> topics.consumed("eval-service", bestSent)
                && topics.consumed("eval-service", otherSent));
        assertEquals(Optional.empty(), runs.status(best));
        assertEquals(Optional.empty(), runs.status(other));

        Map<String, Object> gate = Map.of("rules", List.of(Map.of("metric", "exact_match", "op", ">=", "value", 0.5)));
        topics.publish(new SweepFinished("prj_test", sweepId, "bot", "succeeded", null, best, bestFinished,
                List.of(new SweepFinished.Trial(0, best, Map.of("learning_rate", 0.01), "succeeded", 0.4, null),
                        new SweepFinished.Trial(1, other, Map.of("learning_rate", 0.001), "succeeded", 0.9, null)),
                gate), "trainer-service");

        await().atMost(WAIT).until(() -> runs.status(best).isPresent());
        assertEquals(1, runs.count(best));
        assertEquals(Optional.of(gate), catalog.gate(sweepId));
        assertEquals(Optional.of(sweepId), jdbc.queryOne("SELECT pipeline_id FROM eval_runs WHERE job_id = ?",
                r -> r.getString(1), best), "judged by the sweep's gate");
        assertEquals(Optional.empty(), runs.status(other));
    }

    private static TrainingFinished trial(String jobId, String sweepId) {
        return new TrainingFinished("prj_test", jobId, "bot", "tiny-llama", "ds_1", 1, "lora",
                "projects/prj_test/jobs/" + jobId + "/attempt-1/output/adapter/", "aa", 10, Map.of("train_loss", 0.5),
                null, "djl", sweepId);
    }

    @Test
    void readyWhenBrokerDatabaseAndObjectStoreAre() {
        RestAssured.when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
    }
}
