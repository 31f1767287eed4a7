package dev.tuneforge.trainer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.TrainingCancelRequested;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingFailed;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingPauseRequested;
import dev.tuneforge.events.TrainingPaused;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingResumeRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.trainer.domain.AttemptOutcome;
import dev.tuneforge.trainer.domain.JobState;
import dev.tuneforge.trainer.storage.AttemptKeys;
import dev.tuneforge.trainer.storage.Attempts;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.trainer.storage.Jobs;
import dev.tuneforge.worker.protocol.ExitCode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Jobs from {@code TrainingRequested} to {@code TrainingFinished} with the real djl worker as a child process,
 * a real broker, S3 server and PostgreSQL: the artifact lands in S3 with the digest the event carries; a worker
 * killed with SIGKILL is retried from its last checkpoint; cancel, pause and resume stop the worker cleanly.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class TrainingRunTest {

    private static final Duration WAIT = Duration.ofMinutes(3);

    @Inject
    Jobs jobs;
    @Inject
    Attempts attempts;
    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    TopicClient topics;

    @BeforeEach
    void inputs() throws Exception {
        topics = new TopicClient(bootstrap);
        TrainingFixture.baseModel(sync, store);
    }

    private String request(String datasetId, Map<String, Object> hyperparameters) {
        String jobId = TrainingFixture.newId("job_");
        topics.publish(new TrainingRequested(TrainingFixture.PROJECT, jobId, TrainingFixture.BASE_MODEL, datasetId, 1,
                "lora", hyperparameters, "bot", "test", null), "gateway");
        return jobId;
    }

    @Test
    void aJobTrainsAndItsAdapterLandsInS3WithTheDigestOfTheEvent() {
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, ds, 1, null, 24, 24);
        String jobId = request(ds, Map.of("max_steps", 6, "batch_size", 4, "save_steps", 3, "lora_r", 4,
                "learning_rate", 0.01));

        await().atMost(WAIT).until(() -> jobs.state(jobId).equals(Optional.of(JobState.SUCCEEDED)));
        await().atMost(WAIT).until(() -> !topics.events(TrainingFinished.class, jobId).isEmpty());

        TrainingFinished finished = topics.events(TrainingFinished.class, jobId).getFirst();
        assertEquals(AttemptKeys.output(TrainingFixture.PROJECT, jobId, 1, "adapter"), finished.artifactKey());
        assertEquals(sync.digestOf(finished.artifactKey()), finished.artifactSha256());
        assertTrue(store.exists(finished.artifactKey() + "adapter_config.json"));
        assertTrue(store.exists(finished.artifactKey() + "adapter_model.safetensors"));
        assertNotNull(finished.metrics().get("train_loss"), finished.metrics().toString());

        TrainingStarted started = topics.events(TrainingStarted.class, jobId).getFirst();
        assertEquals(1, started.attempt());
        assertEquals("djl", started.runtime());
        List<Long> steps = topics.events(TrainingProgress.class, jobId).stream().map(TrainingProgress::step).toList();
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), steps);
        List<Long> checkpoints = topics.events(CheckpointSaved.class, jobId).stream().map(CheckpointSaved::step).toList();
        assertEquals(List.of(3L, 6L), checkpoints);
        for (CheckpointSaved c : topics.events(CheckpointSaved.class, jobId)) {
            assertEquals(sync.digestOf(c.objectKey()), c.sha256());
        }
    }

    @Test
    void aKilledWorkerIsRetriedFromItsLastCheckpointAndTheJobFinishesOnce() throws Exception {
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, ds, 1, null, 40, 40);
        int saveSteps = 50; // with 2000 steps: the worker still runs when its first checkpoint is seen
        String jobId = request(ds, Map.of("max_steps", 2000, "batch_size", 8, "save_steps", saveSteps, "lora_r", 4));

        await().atMost(WAIT).until(() -> !topics.events(CheckpointSaved.class, jobId).isEmpty());
        long pid = attempts.find(jobId, 1).orElseThrow().pid();
        ProcessHandle worker = ProcessHandle.of(pid).orElseThrow();
        worker.destroyForcibly();
        worker.onExit().get();

        await().atMost(WAIT).until(() -> jobs.state(jobId).equals(Optional.of(JobState.SUCCEEDED)));
        await().atMost(WAIT).until(() -> !topics.events(TrainingFinished.class, jobId).isEmpty());
        assertEquals(1, topics.events(TrainingFinished.class, jobId).size());

        List<TrainingStarted> started = topics.events(TrainingStarted.class, jobId);
        assertEquals(2, started.size(), started.toString());
        TrainingStarted retry = started.get(1);
        assertEquals(2, retry.attempt());
        assertNotNull(retry.resumedFromStep(), "the retry resumes from a checkpoint");
        assertEquals(0, retry.resumedFromStep() % saveSteps);
        assertTrue(retry.retryReason().contains("137"), retry.retryReason());

        // The loss curve has no gap wider than one checkpoint interval.
        TreeSet<Long> steps = new TreeSet<>();
        topics.events(TrainingProgress.class, jobId).forEach(p -> steps.add(p.step()));
        long previous = 0;
        for (long s : steps) {
            assertTrue(s - previous <= saveSteps, "gap " + previous + " → " + s);
            previous = s;
        }
        assertEquals(2000L, steps.last());
        Attempts.Attempt killed = attempts.find(jobId, 1).orElseThrow();
        assertEquals(AttemptOutcome.CRASHED, killed.outcome());
        assertEquals("worker exited with 137 (killed by signal 9)", killed.outcomeMessage());
        assertEquals(ExitCode.KILLED, ExitCode.of(killed.exitCode()));
    }

    @Test
    void aCheckpointWhoseUploadMeetsABriefS3OutageIsUploadedWhenS3IsBackAndTheWorkerGoesOn() {
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, ds, 1, null, 40, 40);
        int saveSteps = 5;
        String jobId = request(ds, Map.of("max_steps", 400, "batch_size", 8, "save_steps", saveSteps, "lora_r", 4));
        await().atMost(WAIT).until(() -> !topics.events(CheckpointSaved.class, jobId).isEmpty());

        Path out = Path.of(attempts.find(jobId, 1).orElseThrow().workdir()).resolve("out");
        TuneforgeStack.stack().killS3();
        try {
            // the worker writes a checkpoint after S3 went away (and prints it): its upload meets the outage
            long announced = topics.events(CheckpointSaved.class, jobId).stream().mapToLong(CheckpointSaved::step)
                    .max().orElseThrow();
            await().atMost(WAIT).until(() -> Files.exists(out.resolve("checkpoint-" + (announced + 2L * saveSteps)))
                    || jobs.state(jobId).orElseThrow().isFinal());
        } finally {
            TuneforgeStack.stack().startS3();
        }

        await().atMost(WAIT).until(() -> jobs.state(jobId).orElseThrow().isFinal());
        assertEquals(Optional.of(JobState.SUCCEEDED), jobs.state(jobId));
        assertEquals(1, topics.events(TrainingStarted.class, jobId).size(), "no attempt was lost to the outage");
        assertEquals(400L, topics.events(CheckpointSaved.class, jobId).stream().mapToLong(CheckpointSaved::step).max()
                .orElseThrow());
    }

    @Test
    void cancelPauseAndResumeStopTheWorkerWithACheckpoint() {
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, ds, 1, null, 40, 40);
        // Far more steps than the test lets it run: a pause or cancel that reaches the worker late (a loaded machine
        // runs a hundred steps a second here) must still find it running, not finished.
        String paused = request(ds, Map.of("max_steps", 20000, "batch_size", 8, "save_steps", 50, "lora_r", 4));
        await().atMost(WAIT).until(() -> topics.events(TrainingProgress.class, paused).size() >= 3);
        topics.publish(new TrainingPauseRequested(TrainingFixture.PROJECT, paused, "test"), "gateway");
        await().atMost(WAIT).until(() -> jobs.state(paused).equals(Optional.of(JobState.PAUSED)));
        await().atMost(WAIT).until(() -> !topics.events(TrainingPaused.class, paused).isEmpty());
        Long pausedAt = topics.events(TrainingPaused.class, paused).getFirst().lastCheckpointStep();
        assertNotNull(pausedAt, "SIGTERM wrote a checkpoint");

        topics.publish(new TrainingResumeRequested(TrainingFixture.PROJECT, paused, "test"), "gateway");
        await().atMost(WAIT).until(() -> topics.events(TrainingStarted.class, paused).size() == 2);
        assertEquals(pausedAt.intValue(), topics.events(TrainingStarted.class, paused).get(1).resumedFromStep());
        topics.publish(new TrainingCancelRequested(TrainingFixture.PROJECT, paused, "test"), "gateway");
        await().atMost(WAIT).until(() -> jobs.state(paused).equals(Optional.of(JobState.CANCELLED)));
        await().atMost(WAIT).until(() -> !topics.events(TrainingCancelled.class, paused).isEmpty());
        assertEquals(1, topics.events(TrainingCancelled.class, paused).size());
        assertTrue(topics.events(TrainingFinished.class, paused).isEmpty());
    }

    @Test
    void aBadRecipeFailsWithEveryReason() {
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, ds, 1, null, 8, 8);
        String jobId = request(ds, Map.of("lora_r", 512, "learning_rate", -1));
        await().atMost(WAIT).until(() -> !topics.events(TrainingFailed.class, jobId).isEmpty());
        TrainingFailed failed = topics.events(TrainingFailed.class, jobId).getFirst();
        assertEquals("invalid_request", failed.code());
        assertTrue(failed.message().contains("hyperparameters.lora_r: must be <= the base model's hidden size 32"),
                failed.message());
        assertTrue(failed.message().contains("hyperparameters.learning_rate"), failed.message());
        assertFalse(jobs.state(jobId).orElseThrow() == JobState.RUNNING);

        String unknown = TrainingFixture.newId("job_");
        topics.publish(new TrainingRequested(TrainingFixture.PROJECT, unknown, "no-such-model", ds, 1, "lora",
                Map.of(), "bot", "test", null), "gateway");
        await().atMost(WAIT).until(() -> !topics.events(TrainingFailed.class, unknown).isEmpty());
        assertTrue(topics.events(TrainingFailed.class, unknown).getFirst().message()
                .contains("unknown base model 'no-such-model'"));
    }
}
