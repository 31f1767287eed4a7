package dev.tuneforge.trainer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.TrainingFailed;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.trainer.domain.AttemptOutcome;
import dev.tuneforge.trainer.storage.Attempts;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The torch runtime's environment cannot be made (the bootstrap command fails, as pip does without a reachable
 * package index): each attempt fails with the bootstrap's exit named, and is retried as a crash — not failed at once
 * as a bad spec, since the next try may well succeed — until {@code max-attempts}.
 *
 * <p>The scheduler's tick and the outbox relay's poll are an hour apart in this profile, so the job goes through on
 * wake-ups alone: claimed once its request (and its dataset) are committed, claimed again when its first attempt
 * frees the slot, its {@code TrainingFailed} published when the transaction that wrote it commits.
 */
@QuarkusTest
@TestProfile(TorchBootstrapFailureTest.BrokenBootstrap.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class TorchBootstrapFailureTest {

    public static class BrokenBootstrap implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Path missing = Path.of(System.getProperty("java.io.tmpdir"), "tuneforge-torch-" + UUID.randomUUID(),
                    "bin", "python");
            return Map.of("tuneforge.trainer.slots", "cpu-0:torch",
                    "tuneforge.trainer.default-runtime", "torch",
                    "tuneforge.trainer.max-attempts", "2",
                    "tuneforge.trainer.worker.torch-python", missing.toString(),
                    "tuneforge.trainer.worker.torch-bootstrap", "echo 'no package index reachable' >&2; exit 3",
                    "tuneforge.trainer.tick", "1h",
                    "tuneforge.outbox.poll-interval", "1h");
        }
    }

    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @Inject
    Attempts attempts;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aFailedBootstrapFailsTheAttemptAsACrashAndIsRetried() throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        TrainingFixture.baseModel(sync, store);
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, ds, 1, null, 8, 8);
        String jobId = TrainingFixture.newId("job_");
        topics.publish(new TrainingRequested(TrainingFixture.PROJECT, jobId, TrainingFixture.BASE_MODEL, ds, 1, "lora",
                Map.of("max_steps", 2, "batch_size", 2, "lora_r", 2), "bot", "test", null), "gateway");

        await().atMost(Duration.ofMinutes(2)).until(() -> !topics.events(TrainingFailed.class, jobId).isEmpty());
        TrainingFailed failed = topics.events(TrainingFailed.class, jobId).getFirst();
        assertEquals("worker_crashed", failed.code());
        assertTrue(failed.message().startsWith("gave up after 2 failed attempts; last: starting the attempt failed: "
                + "making the torch runtime's environment with `echo 'no package index reachable' >&2; exit 3` failed: "
                + "it exited with 3"), failed.message());
        List<AttemptOutcome> outcomes = attempts.of(jobId).stream().map(Attempts.Attempt::outcome).toList();
        assertEquals(List.of(AttemptOutcome.CRASHED, AttemptOutcome.CRASHED), outcomes);
    }
}
