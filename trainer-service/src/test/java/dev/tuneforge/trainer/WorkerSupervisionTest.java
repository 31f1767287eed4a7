package dev.tuneforge.trainer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.kit.storage.ObjectStoreException;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.trainer.ScriptedWorker.Mode;
import dev.tuneforge.trainer.domain.AttemptOutcome;
import dev.tuneforge.trainer.domain.JobState;
import dev.tuneforge.trainer.storage.Attempts;
import dev.tuneforge.trainer.storage.DatasetVersions;
import dev.tuneforge.trainer.storage.Jobs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the trainer keeps hold of the local workers it runs, with workers that misbehave on purpose, as real processes
 * ({@link ScriptedWorker}):
 * the scheduling tick meets an S3 error validating a new job, every tick, while another job runs: the running job's
 * lease is renewed all the same (on its own timer) and it finishes in its one attempt; the new job waits in
 * {@code validating} and goes on once S3 can read its base model again. The S3 server really fails: the base model's
 * {@code config.json} in its file store is a link to a file it cannot read.
 */
@QuarkusTest
@TestProfile(ScriptedWorker.Profile.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class WorkerSupervisionTest {

    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final Duration LEASE = Duration.parse("PT" + ScriptedWorker.Profile.LEASE.toUpperCase());

    @Inject
    Jobs jobs;
    @Inject
    Attempts attempts;
    @Inject
    DatasetVersions datasets;
    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @Inject
    Jdbc jdbc;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "tuneforge.trainer.worker.torch-python")
    String python;

    TopicClient topics;
    ScriptedWorker worker;

    @BeforeEach
    void setUp() throws Exception {
        topics = new TopicClient(bootstrap);
        worker = new ScriptedWorker(python);
        TrainingFixture.baseModel(sync, store);
        jdbc.update("UPDATE jobs SET state = 'cancelled' WHERE state IN ('queued', 'running', 'validating')");
    }

    @Test
    void anS3ErrorValidatingOneJobNeitherLetsTheLeaseOfARunningJobRunOutNorDropsTheJob() throws Exception {
        String ds = dataset();
        String running = TrainingFixture.newId("job_");
        worker.behave(running, Mode.HOLD);
        request(running, TrainingFixture.BASE_MODEL, ds);
        await().atMost(WAIT).until(() -> !topics.events(TrainingProgress.class, running).isEmpty());

        // A base model whose config.json the S3 server cannot read: every look at it is an S3 error.
        String unreadable = TrainingFixture.newId("unreadable-");
        String configKey = ObjectKeys.baseModel(unreadable) + "config.json";
        Path blob = TuneforgeStack.stack().dataDirectory().resolve("s3/blobs").resolve(store.bucket())
                .resolve(configKey);
        Files.createDirectories(blob.getParent());
        Files.createSymbolicLink(blob, unreadableFile());
        assertThrows(ObjectStoreException.class, () -> store.exists(configKey));
        String waiting = TrainingFixture.newId("job_");
        request(waiting, unreadable, ds);
        await().atMost(WAIT).until(() -> jobs.state(waiting).equals(Optional.of(JobState.VALIDATING)));

        // Two leases later, the running job's lease has been renewed past where it would have run out, while the
        // tick kept failing to validate the other job.
        OffsetDateTime expiry = leaseExpiry(running);
        await().atMost(WAIT).until(() -> leaseExpiry(running).isAfter(expiry.plus(LEASE.multipliedBy(2))));
        assertEquals(Optional.of(JobState.VALIDATING), jobs.state(waiting), "an S3 error is no reason to fail it");
        assertEquals(1, jobs.find(running).orElseThrow().attempt());

        // S3 reads it again: the waiting job is validated and runs (its worker finishes at once).
        Path readable = Files.createTempFile(blob.getParent(), "config", ".json");
        try (InputStream in = store.get(ObjectKeys.baseModel(TrainingFixture.BASE_MODEL) + "config.json")) {
            Files.write(readable, in.readAllBytes());
        }
        Files.move(readable, blob, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        await().atMost(WAIT).until(() -> jobs.state(waiting).equals(Optional.of(JobState.SUCCEEDED)));

        worker.release(running);
        await().atMost(WAIT).until(() -> jobs.state(running).equals(Optional.of(JobState.SUCCEEDED)));
        await().atMost(WAIT).until(() -> !topics.events(TrainingFinished.class, running).isEmpty());
        assertEquals(List.of(AttemptOutcome.SUCCEEDED),
                attempts.of(running).stream().map(Attempts.Attempt::outcome).toList(), "no extra attempt");
        assertEquals(1, topics.events(TrainingStarted.class, running).size());
        assertEquals(1, topics.events(TrainingFinished.class, running).size());
    }

    /** A new dataset version of eight examples, once the trainer knows it. */
    private String dataset() {
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, ds, 1, null, 8, 8);
        await().atMost(WAIT).until(() -> datasets.find(ds, 1).isPresent());
        return ds;
    }

    /** Asks for a small LoRA job, which validation resolves as any other; its workers do as the script was told. */
    private void request(String jobId, String baseModel, String datasetId) {
        topics.publish(new TrainingRequested(TrainingFixture.PROJECT, jobId, baseModel, datasetId, 1, "lora",
                Map.of("max_steps", 4, "batch_size", 4, "lora_r", 4), "bot", "test", null), "gateway");
    }

    private OffsetDateTime leaseExpiry(String jobId) {
        return jdbc.queryOne("SELECT lease_expires_at FROM jobs WHERE job_id = ?",
                r -> r.getObject(1, OffsetDateTime.class), jobId).orElseThrow();
    }

    /**
     * A file this user cannot read, and so neither can the S3 server, its child: one of its own without read
     * permission, or — for root, who reads anything on disk — a write-only sysfs attribute, which nobody can read.
     */
    private static Path unreadableFile() throws IOException {
        List<Path> candidates = new ArrayList<>();
        Path own = Files.createTempFile("unreadable", ".json");
        Files.writeString(own, "{}");
        own.toFile().setReadable(false, false);
        candidates.add(own);
        try (Stream<Path> buses = Files.list(Path.of("/sys/bus"))) {
            buses.map(bus -> bus.resolve("uevent")).forEach(candidates::add);
        } catch (IOException e) {
            // no sysfs: only the file of our own can do
        }
        return candidates.stream().filter(p -> Files.isRegularFile(p) && !readable(p)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no file this user cannot read among " + candidates));
    }

    private static boolean readable(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            in.read();
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
