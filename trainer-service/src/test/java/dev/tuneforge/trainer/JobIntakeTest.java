package dev.tuneforge.trainer;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.events.TrainingCancelRequested;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingFailed;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.trainer.domain.JobState;
import dev.tuneforge.trainer.storage.Jobs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class JobIntakeTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    Jobs jobs;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aRequestedJobIsTakenInAndCancellingItEmitsTrainingCancelledOnce() {
        String jobId = "job_" + UUID.randomUUID();
        TopicClient topics = new TopicClient(bootstrap);
        topics.publish(new TrainingRequested("prj_test", jobId, "tiny-llama", "ds_1", 1, "lora",
                Map.of("epochs", 1), "bot", "test", null), "gateway");

        await().atMost(WAIT).until(() -> jobs.state(jobId).equals(Optional.of(JobState.VALIDATING)));

        topics.publish(new TrainingCancelRequested("prj_test", jobId, "test"), "gateway");
        await().atMost(WAIT).until(() -> jobs.state(jobId).equals(Optional.of(JobState.CANCELLED)));
        // A second cancel (a user clicking twice) is a new command, not a redelivery: it must change nothing.
        RecordMetadata second = topics.send(TopicClient.toRecord(EventEnvelope.wrap(
                new TrainingCancelRequested("prj_test", jobId, "test"), "gateway")));
        await().atMost(WAIT).until(() -> topics.consumed("trainer-service", second));

        assertEquals(1, topics.events(TrainingCancelled.class, jobId).size());
    }

    /**
     * The trainer's own check behind the gateway's: a request that reaches it anyway (a pipeline's, one older than the
     * gateway's check) fails saying what is wrong, before anything is staged.
     */
    @Test
    void aDpoJobOnChatDataAndALoraJobOnPreferencePairsFailNamingTheDataset() {
        TopicClient topics = new TopicClient(bootstrap);
        String chat = "ds_" + UUID.randomUUID();
        String pairs = "ds_" + UUID.randomUUID();
        topics.publish(ready(chat, "chat"), "dataset-service");
        topics.publish(ready(pairs, "preference"), "dataset-service");
        String dpoOnChat = "job_" + UUID.randomUUID();
        String loraOnPairs = "job_" + UUID.randomUUID();

        topics.publish(new TrainingRequested("prj_test", dpoOnChat, "tiny-llama", chat, 1, "dpo",
                Map.of("beta", 0.2), "bot", "test", null), "gateway");
        topics.publish(new TrainingRequested("prj_test", loraOnPairs, "tiny-llama", pairs, 1, "lora",
                Map.of(), "bot", "test", null), "gateway");

        await().atMost(WAIT).until(() -> !topics.events(TrainingFailed.class, dpoOnChat).isEmpty()
                && !topics.events(TrainingFailed.class, loraOnPairs).isEmpty());
        TrainingFailed dpo = topics.events(TrainingFailed.class, dpoOnChat).getFirst();
        assertEquals("invalid_request", dpo.code());
        assertEquals("method: dpo trains on preference pairs ({\"prompt\", \"chosen\", \"rejected\"} or OpenAI's"
                + " {\"input\", \"preferred_output\", \"non_preferred_output\"}); the dataset holds chat examples"
                + " (dataset " + chat + " version 1)", dpo.message());
        assertEquals("method: lora cannot train on preference pairs; use method dpo (dataset " + pairs + " version 1)",
                topics.events(TrainingFailed.class, loraOnPairs).getFirst().message());
    }

    private static DatasetReady ready(String datasetId, String format) {
        String prefix = "projects/prj_test/datasets/" + datasetId + "/v1/";
        return new DatasetReady("prj_test", datasetId, 1, null, format, "c", prefix + "train.jsonl", "t", 10,
                prefix + "validation.jsonl", "v", 2, 10, new TokenStats(1, 1, 1, 1, 1, 0), prefix + "report.json",
                null);
    }

    @Test
    void readyWhenBrokerDatabaseAndObjectStoreAre() {
        RestAssured.when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
    }
}
