package dev.tuneforge.trainer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.TrainingCancelRequested;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.kit.storage.ObjectStoreException;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerEnvironment;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.trainer.ScriptedWorker.Mode;
import dev.tuneforge.trainer.domain.AttemptOutcome;
import dev.tuneforge.trainer.domain.JobState;
import dev.tuneforge.trainer.storage.Attempts;
import dev.tuneforge.trainer.storage.DatasetVersions;
import dev.tuneforge.trainer.storage.Jobs;
import dev.tuneforge.worker.protocol.ExitCode;
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
import java.util.Set;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the trainer keeps hold of the local workers it runs, with workers that misbehave on purpose, as real processes
 * ({@link ScriptedWorker}):
 * <ul>
 *   <li>the scheduling tick meets an S3 error validating a new job, every tick, while another job runs: the running
 *   job's lease is renewed all the same (on its own timer) and it finishes in its one attempt; the new job waits in
 *   {@code validating} and goes on once S3 can read its base model again. The S3 server really fails: the base
 *   model's {@code config.json} in its file store is a link to a file it cannot read;</li>
 *   <li>a worker that ignores SIGTERM is killed once its stop grace runs out, so a cancel ends;</li>
 *   <li>a worker that stops printing is stopped after the stall timeout and its attempt retried as a crash that says
 *   why, so it does not keep its slot and lease forever;</li>
 *   <li>a worker starts with a minimal environment: the service's own holds its S3 keys, its database password and
 *   a preset admin key (the build sets them for this module's tests, as a Secret would in production), and none of
 *   them, nor any other of the service's settings, reaches the worker.</li>
 * </ul>
 */
@QuarkusTest
@TestProfile(ScriptedWorker.Profile.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class WorkerSupervisionTest {

    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final Duration LEASE = Duration.parse("PT" + ScriptedWorker.Profile.LEASE.toUpperCase());
    /** Secrets and settings in the service's environment (see the module's pom). */
    private static final List<String> SERVICE_VARIABLES = List.of("TUNEFORGE_S3_ACCESS_KEY", "TUNEFORGE_S3_SECRET_KEY",
            "QUARKUS_DATASOURCE_PASSWORD", "TUNEFORGE_ADMIN_KEY", "AWS_SECRET_ACCESS_KEY");

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

    @Test
    void aCancelEndsAWorkerThatIgnoresSigtermOnceItsStopGraceRunsOut() throws Exception {
        String jobId = TrainingFixture.newId("job_");
        worker.behave(jobId, Mode.IGNORE_TERM);
        request(jobId, TrainingFixture.BASE_MODEL, dataset());
        await().atMost(WAIT).until(() -> !topics.events(TrainingProgress.class, jobId).isEmpty());
        long pid = attempts.find(jobId, 1).orElseThrow().pid();

        topics.publish(new TrainingCancelRequested(TrainingFixture.PROJECT, jobId, "test"), "gateway");

        await().atMost(WAIT).until(() -> jobs.state(jobId).equals(Optional.of(JobState.CANCELLED)));
        await().atMost(WAIT).until(() -> !topics.events(TrainingCancelled.class, jobId).isEmpty());
        assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "the worker is gone");
        Attempts.Attempt attempt = attempts.find(jobId, 1).orElseThrow();
        assertEquals(AttemptOutcome.CANCELLED, attempt.outcome());
        assertEquals(ExitCode.KILLED, ExitCode.of(attempt.exitCode()), "SIGKILL after the grace");
        assertEquals(1, attempts.of(jobId).size());
    }

    @Test
    void aWorkerThatStopsPrintingIsStoppedAndItsAttemptRetriedAsACrashThatSaysWhy() throws Exception {
        String jobId = TrainingFixture.newId("job_");
        worker.behave(jobId, 1, Mode.STALL); // the second attempt finishes at once
        request(jobId, TrainingFixture.BASE_MODEL, dataset());

        await().atMost(WAIT).until(() -> jobs.state(jobId).equals(Optional.of(JobState.SUCCEEDED)));
        await().atMost(WAIT).until(() -> !topics.events(TrainingFinished.class, jobId).isEmpty());

        List<Attempts.Attempt> all = attempts.of(jobId);
        assertEquals(List.of(AttemptOutcome.CRASHED, AttemptOutcome.SUCCEEDED),
                all.stream().map(Attempts.Attempt::outcome).toList());
        Attempts.Attempt stalled = all.getFirst();
        assertEquals("worker exited with 137 (killed by signal 9): it printed nothing for 5 s, so it was stopped; it "
                + "did not exit within 1 s of SIGTERM, so it was killed", stalled.outcomeMessage());
        List<TrainingStarted> started = topics.events(TrainingStarted.class, jobId);
        assertEquals(2, started.size());
        assertEquals(stalled.outcomeMessage(), started.get(1).retryReason());
        assertEquals(1, topics.events(TrainingFinished.class, jobId).size());
    }

    @Test
    void aWorkerGetsWhatItsRuntimeNeedsAndNoneOfTheServicesSecretsOrSettings() throws Exception {
        String jobId = TrainingFixture.newId("job_");
        request(jobId, TrainingFixture.BASE_MODEL, dataset());
        await().atMost(WAIT).until(() -> jobs.state(jobId).equals(Optional.of(JobState.SUCCEEDED)));

        Map<String, String> env = worker.environment(jobId, 1);
        for (String name : SERVICE_VARIABLES) {
            String secret = System.getenv(name);
            assertNotNull(secret, "the service's environment has " + name);
            assertFalse(env.containsKey(name), name + " reached the worker");
            assertFalse(env.containsValue(secret), "the value of " + name + " reached the worker");
        }
        Set<String> runtimeOwn = WorkerCommand.torch(python, 1).env().keySet();
        for (String name : env.keySet()) {
            boolean needed = WorkerEnvironment.INHERITED.contains(name) || name.startsWith("LC_")
                    || runtimeOwn.contains(name);
            assertTrue(needed, name + " is not a variable a worker needs");
        }
        assertEquals(System.getenv("PATH"), env.get("PATH"));
        assertEquals("1", env.get("OMP_NUM_THREADS"));
        assertEquals("1", env.get("PYTHONUNBUFFERED"));
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
