package dev.tuneforge.trainer;

import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.TrainingCancelRequested;
import dev.tuneforge.events.TrainingCancelled;
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

    @Test
    void readyWhenBrokerDatabaseAndObjectStoreAre() {
        RestAssured.when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
    }
}
