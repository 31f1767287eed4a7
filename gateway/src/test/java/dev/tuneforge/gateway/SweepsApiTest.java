package dev.tuneforge.gateway;

import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.SweepFinished;
import dev.tuneforge.events.SweepRequested;
import dev.tuneforge.events.Topics;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sweeps: checked through the API like a job (every trial's recipe too) and announced as SweepRequested; shown from the
 * read model with every trial, from the trials' job events and SweepFinished.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class SweepsApiTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aSweepWhoseTrialsWouldNotRunIsRefusedNamingEveryValueByItsPathAndNothingIsSent() {
        BaseModels.ensureTiny();
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        String dataset = Datasets.ready(topics, project, member.secret(), "sweep-wrong", 50, "chat");

        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY,
                        "hyperparameters", Map.of("max_steps", 10),
                        "search_space", Map.of("learning_rate", List.of(1e-4, 3e-4, -1),
                                "lora_r", List.of(4, 64), "epochs", Map.of("min", 1, "max", 3)),
                        "median_stop", Map.of("patience", 3, "min_trials", 0), "parallelism", 0))
                .when().post("/api/v1/sweeps").then().statusCode(422)
                .body("type", is("https://tuneforge.dev/problems/invalid-sweep"))
                .body("errors", hasItem(
                        "search_space.epochs: a range {min, max} needs strategy random; grid takes a list of values"))
                .body("errors", hasItem("parallelism: must be 1 to 100, got 0"))
                .body("errors", hasItem(startsWith("median_stop.patience: unknown")))
                .body("errors", hasItem("median_stop.min_trials: must be an integer >= 1, got 0"));
        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY, "strategy", "random",
                        "search_space", Map.of("learning_rate", List.of(1e-4, 3e-4, -1), "lora_r", List.of(4, 64))))
                .when().post("/api/v1/sweeps").then().statusCode(422)
                .body("errors", hasItem(startsWith("search_space.learning_rate[2]: must be")))
                .body("errors", hasItem(startsWith(
                        "search_space.lora_r[1]: must be <= the base model's hidden size 32")));

        assertTrue(topics.readAll(Topics.COMMANDS).stream()
                .filter(r -> EventType.SWEEP_REQUESTED.typeName().equals(TopicClient.header(r, "ce_type")))
                .noneMatch(r -> EventCodec.read(EventType.SWEEP_REQUESTED, r.value()).projectId().equals(project)),
                "a refused sweep sends nothing");
    }

    @Test
    void aSweepShowsEveryTrialWithItsStateItsBestValidLossAndTheBest() {
        BaseModels.ensureTiny();
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        String dataset = Datasets.ready(topics, project, member.secret(), "sweep-tickets", 50, "chat");
        String id = as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY, "model_name", "tickets-bot",
                        "hyperparameters", Map.of("max_steps", 20, "eval_steps", 5),
                        "search_space", Map.of("learning_rate", List.of(1e-3, 1e-7, 5e-4)),
                        "median_stop", Map.of("warmup_evaluations", 1), "parallelism", 2))
                .when().post("/api/v1/sweeps").then().statusCode(201).body("status", is("running"))
                .body("strategy", is("grid")).body("median_stop.warmup_evaluations", is(1))
                .extract().path("id");
        await().atMost(WAIT).until(() -> topics.events(SweepRequested.class, id).size() == 1);
        SweepRequested requested = topics.events(SweepRequested.class, id).getFirst();
        assertEquals(project, requested.projectId());
        assertEquals(Map.of("max_steps", 20, "eval_steps", 5), requested.hyperparameters());
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/sweeps/" + id)
                .then().statusCode(200).body("status", is("running")).body("trials", hasSize(3))
                .body("median_stop.enabled", is(true)).body("median_stop.warmup_evaluations", is(1))
                .body("trials.state", contains("pending", "pending", "pending"))
                .body("trials[1].parameters.learning_rate", is(1e-7f)));

        // trainer-service's side, as it would publish it: two trials requested, one stopped early, one finished
        String good = "job_" + id + "_0";
        String bad = "job_" + id + "_1";
        for (int i = 0; i < 2; i++) {
            topics.publish(new TrainingRequested(project, i == 0 ? good : bad, BaseModels.TINY, dataset, 1, "lora",
                    Map.of("max_steps", 20, "learning_rate", i == 0 ? 1e-3 : 1e-7), "tickets-bot", "trainer", null,
                    null, null, id, i), "trainer-service");
        }
        topics.publish(new TrainingProgress(project, good, 5, 20, 0.1, 2.0, 1e-3, 100, 1L, 1.25, 0.5, 1),
                "trainer-service");
        topics.publish(new TrainingProgress(project, good, 10, 20, 0.2, 1.5, 1e-3, 100, 1L, 0.75, 0.6, 1),
                "trainer-service");
        topics.publish(new TrainingProgress(project, bad, 5, 20, 0.1, 3.0, 1e-7, 100, 1L, 3.5, 0.1, 1),
                "trainer-service");
        String why = "stopped early by the median rule: best validation loss 3.5000 by step 5 is worse than the median"
                + " 1.2500 of 1 other trial(s) at that step";
        topics.publish(new TrainingCancelled(project, bad, 5L, true, why), "trainer-service");
        TrainingFinished finished = new TrainingFinished(project, good, "tickets-bot", BaseModels.TINY, dataset, 1,
                "lora", "projects/" + project + "/jobs/" + good + "/attempt-1/output/adapter/", "aa", 10,
                Map.of("train_loss", 1.5), null, "djl", id);
        topics.publish(finished, "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/sweeps/" + id)
                .then().statusCode(200)
                .body("trials.state", contains("succeeded", "stopped_early", "pending"))
                .body("trials.job_id", contains(good, bad, null))
                .body("trials[0].best_valid_loss", is(0.75f))
                .body("trials[1].stopped_early", is(true))
                .body("trials[1].reason", is(why)));
        as(member.secret()).when().get("/api/v1/jobs/" + bad).then().statusCode(200).body("state", is("cancelled"));

        topics.publish(new SweepFinished(project, id, "tickets-bot", "succeeded", null, good, finished,
                List.of(new SweepFinished.Trial(0, good, Map.of("learning_rate", 1e-3), "succeeded", 0.75, null),
                        new SweepFinished.Trial(1, bad, Map.of("learning_rate", 1e-7), "stopped_early", 3.5, why),
                        new SweepFinished.Trial(2, "job_x", Map.of("learning_rate", 5e-4), "failed", null, "boom")),
                null), "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/sweeps/" + id)
                .then().statusCode(200).body("status", is("succeeded")).body("best_job_id", is(good))
                .body("trials.best", contains(true, false, false)).body("reason", nullValue()));
        as(member.secret()).when().get("/api/v1/sweeps").then().statusCode(200).body("data.id", contains(id))
                .body("data[0].trials", nullValue());
        as(member.secret()).when().get("/api/v1/sweeps?status=running").then().statusCode(200)
                .body("data", hasSize(0));
        as(member.secret()).when().get("/api/v1/sweeps?status=sideways").then().statusCode(400);

        Gateway.Key other = Gateway.newKey(Gateway.newProject(), "admin");
        as(other.secret()).when().get("/api/v1/sweeps/" + id).then().statusCode(404);
        as(other.secret()).when().get("/api/v1/sweeps").then().statusCode(200).body("data", hasSize(0));
        Gateway.Key reader = Gateway.newKey(project, "read-only");
        as(reader.secret()).when().get("/api/v1/sweeps/" + id).then().statusCode(200);
        as(reader.secret()).contentType("application/json").body(Map.of("dataset_id", dataset))
                .when().post("/api/v1/sweeps").then().statusCode(403);
    }
}
