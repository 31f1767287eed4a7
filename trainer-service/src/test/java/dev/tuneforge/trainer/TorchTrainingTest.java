package dev.tuneforge.trainer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A djl slot and a torch slot, as {@code bin/tuneforge up} configures them, with the real torch runtime: its
 * interpreter does not exist when the service starts and is made by the bootstrap command the first time a torch job
 * needs it (the project's own {@code bin/tuneforge python-env}, as {@code up} configures it, behind a wrapper at a
 * fresh path). A torch job trains on the torch slot while a djl job trains on the djl one, each says its runtime from
 * start to finish, and a pipeline's retraining runs on the pipeline's runtime.
 */
@QuarkusTest
@TestProfile(TorchTrainingTest.DjlAndTorchSlots.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class TorchTrainingTest {

    private static final Duration WAIT = Duration.ofMinutes(4);

    public static class DjlAndTorchSlots implements QuarkusTestProfile {
        /** Made by the bootstrap: a wrapper of the project's environment, at a path that is new every run. */
        private static final Path PYTHON = Path.of(System.getProperty("java.io.tmpdir"),
                "tuneforge-torch-" + UUID.randomUUID(), "bin", "python");

        @Override
        public Map<String, String> getConfigOverrides() {
            Path repo = Path.of(System.getProperty("tuneforge.repo", "..")).toAbsolutePath().normalize();
            String bootstrap = "p=$(bash '" + repo.resolve("bin/tuneforge") + "' python-env) && mkdir -p '"
                    + PYTHON.getParent() + "' && printf '#!/bin/sh\\nexec \"%s\" \"$@\"\\n' \"$p\" > '" + PYTHON
                    + "' && chmod +x '" + PYTHON + "'";
            return Map.of("tuneforge.trainer.slots", "cpu-0:djl,cpu-1:torch",
                    "tuneforge.trainer.worker.torch-python", PYTHON.toString(),
                    "tuneforge.trainer.worker.torch-bootstrap", bootstrap);
        }
    }

    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @Inject
    Jdbc jdbc;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    /** The profile's {@code PYTHON} as the application got it (the profile class may be loaded twice). */
    @ConfigProperty(name = "tuneforge.trainer.worker.torch-python")
    String python;

    TopicClient topics;

    @BeforeEach
    void inputs() throws Exception {
        topics = new TopicClient(bootstrap);
        TrainingFixture.baseModel(sync, store);
    }

    private String request(String datasetId, String runtime) {
        String jobId = TrainingFixture.newId("job_");
        topics.publish(new TrainingRequested(TrainingFixture.PROJECT, jobId, TrainingFixture.BASE_MODEL, datasetId, 1,
                "lora", Map.of("max_steps", 4, "batch_size", 4, "lora_r", 4, "learning_rate", 0.01), "bot", "test",
                null, null, runtime), "gateway");
        return jobId;
    }

    @Test
    void aTorchJobTrainsOnTheTorchSlotWhileADjlJobTrainsOnTheDjlSlot() {
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, ds, 1, null, 16, 16);
        String torch = request(ds, "torch");
        String djl = request(ds, null);

        await().atMost(WAIT).until(() -> !topics.events(TrainingFinished.class, torch).isEmpty()
                && !topics.events(TrainingFinished.class, djl).isEmpty());

        TrainingStarted torchStarted = topics.events(TrainingStarted.class, torch).getFirst();
        assertEquals("torch", torchStarted.runtime());
        assertEquals("cpu-1", torchStarted.slot());
        TrainingFinished torchFinished = topics.events(TrainingFinished.class, torch).getFirst();
        assertEquals("torch", torchFinished.runtime());
        assertEquals(sync.digestOf(torchFinished.artifactKey()), torchFinished.artifactSha256());
        assertTrue(store.exists(torchFinished.artifactKey() + "adapter_config.json"));
        assertTrue(store.exists(torchFinished.artifactKey() + "adapter_model.safetensors"));
        assertTrue(Files.isExecutable(Path.of(python)), "made by the bootstrap, at a path new this run");

        TrainingStarted djlStarted = topics.events(TrainingStarted.class, djl).getFirst();
        assertEquals("djl", djlStarted.runtime(), "no runtime asked: the default");
        assertEquals("cpu-0", djlStarted.slot());
        assertEquals("djl", topics.events(TrainingFinished.class, djl).getFirst().runtime());
    }

    @Test
    void aPipelinesRetrainingRunsOnThePipelinesRuntime() {
        String ds = TrainingFixture.newId("ds_");
        String pipeline = TrainingFixture.newId("pl_");
        topics.publish(new PipelineConfigured(TrainingFixture.PROJECT, pipeline, ds, TrainingFixture.BASE_MODEL, "bot",
                "lora", Map.of("max_steps", 2, "batch_size", 2, "lora_r", 2), Map.of(),
                Map.of("min_new_examples", 1), "active", "torch"), "gateway");
        await().atMost(WAIT).until(() -> jdbc.queryOne("SELECT status FROM pipelines WHERE pipeline_id = ?",
                r -> r.getString(1), pipeline).isPresent());
        TrainingFixture.dataset(store, topics, ds, 1, null, 8, 8);
        TrainingFixture.dataset(store, topics, ds, 2, 1, 11, 3);

        await().atMost(WAIT).until(() -> !TrainingFixture.requests(topics, pipeline).isEmpty());
        TrainingRequested job = TrainingFixture.requests(topics, pipeline).getFirst();
        assertEquals("torch", job.runtime());
        await().atMost(WAIT).until(() -> !topics.events(TrainingFinished.class, job.jobId()).isEmpty());
        assertEquals("torch", topics.events(TrainingFinished.class, job.jobId()).getFirst().runtime());
        assertEquals("cpu-1", topics.events(TrainingStarted.class, job.jobId()).getFirst().slot());
    }
}
