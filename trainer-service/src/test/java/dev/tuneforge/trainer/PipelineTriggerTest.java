package dev.tuneforge.trainer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.kit.storage.DirectorySync;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * A pipeline with "at least N new examples" starts exactly one job for a dataset version that adds N or
 * more, none for one that adds fewer, and none again when the same {@code DatasetReady} is delivered twice.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class PipelineTriggerTest {

    private static final Duration WAIT = Duration.ofMinutes(2);

    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @Inject
    dev.tuneforge.kit.db.Jdbc jdbc;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void appendingEnoughExamplesStartsExactlyOneJob() throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        TrainingFixture.baseModel(sync, store);
        String ds = TrainingFixture.newId("ds_");
        String pipeline = TrainingFixture.newId("pl_");
        topics.publish(new PipelineConfigured(TrainingFixture.PROJECT, pipeline, ds, TrainingFixture.BASE_MODEL, "bot",
                "lora", Map.of("max_steps", 2, "batch_size", 2, "lora_r", 2), Map.of(),
                Map.of("min_new_examples", 5, "cooldown_seconds", 0), "active"), "gateway");
        // Pipelines come on the commands topic, datasets on their own: a user creates the pipeline before appending.
        await().atMost(WAIT).until(() -> jdbc.queryOne("SELECT status FROM pipelines WHERE pipeline_id = ?",
                r -> r.getString(1), pipeline).isPresent());

        TrainingFixture.dataset(store, topics, ds, 1, null, 10, 10);          // first version: no parent, no trigger
        TrainingFixture.dataset(store, topics, ds, 2, 1, 13, 3);              // 3 new: below the threshold
        DatasetReady enough = TrainingFixture.dataset(store, topics, ds, 3, 2, 19, 6); // 6 new: one job
        // The same version announced again (a new event, e.g. re-published) must not start a second job.
        // It sits right behind the first on the dataset's partition, so it is handled before the job below ends.
        topics.send(TopicClient.toRecord(EventEnvelope.wrap(enough, "dataset-service")));

        await().atMost(WAIT).until(() -> !TrainingFixture.requests(topics, pipeline).isEmpty());
        TrainingRequested job = TrainingFixture.requests(topics, pipeline).getFirst();
        assertEquals(3, job.datasetVersion());
        assertEquals("bot", job.modelName());
        await().atMost(WAIT).until(() -> !topics.events(TrainingFinished.class, job.jobId()).isEmpty());
        assertEquals(pipeline, topics.events(TrainingFinished.class, job.jobId()).getFirst().pipelineId());
        assertEquals(1, TrainingFixture.requests(topics, pipeline).size());
    }
}
