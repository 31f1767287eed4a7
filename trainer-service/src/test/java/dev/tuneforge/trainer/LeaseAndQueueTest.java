package dev.tuneforge.trainer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.events.TrainingFailed;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerWatchdog;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.trainer.domain.JobState;
import dev.tuneforge.trainer.domain.JobTransitions;
import dev.tuneforge.trainer.domain.JobTransitions.Claim;
import dev.tuneforge.trainer.domain.LeftoverObjects;
import dev.tuneforge.trainer.launch.AttemptRunner;
import dev.tuneforge.trainer.launch.LocalWorkerLauncher;
import dev.tuneforge.trainer.launch.MixedTrainSplits;
import dev.tuneforge.trainer.launch.TrainMix;
import dev.tuneforge.trainer.storage.AttemptKeys;
import dev.tuneforge.trainer.storage.Checkpoints;
import dev.tuneforge.trainer.storage.DatasetVersions;
import dev.tuneforge.trainer.storage.Jobs;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerExit;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue and the leases, driven by hand (the scheduler's loop is off): priorities first, then the
 * project with fewer running jobs; a running job is never claimed twice while its lease is alive, and an
 * instance that lost its lease can no longer change the job — nor, uploading late, what the job's new owner
 * published in S3 — and deletes what it uploaded. Once a job has ended, what its dead attempts uploaded and never
 * published is deleted too; what its events named stays.
 */
@QuarkusTest
@TestProfile(LeaseAndQueueTest.NoSchedulerLoop.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class LeaseAndQueueTest {

    public static class NoSchedulerLoop implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tuneforge.trainer.tick", "off");
        }
    }

    private static final Duration WAIT = Duration.ofMinutes(2);

    @Inject
    Jobs jobs;
    @Inject
    JobTransitions transitions;
    @Inject
    Jdbc jdbc;
    @Inject
    DatasetVersions datasets;
    @Inject
    Checkpoints checkpoints;
    @Inject
    LeftoverObjects leftovers;
    @Inject
    MixedTrainSplits trainSplits;
    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @TempDir
    Path scripts;

    @BeforeEach
    void emptyQueue() {
        jdbc.update("UPDATE jobs SET state = 'cancelled' WHERE state IN ('queued', 'running', 'validating')");
    }

    private String queued(String project, int priority) {
        String jobId = TrainingFixture.newId("job_");
        jobs.insert(new TrainingRequested(project, jobId, "m", "ds", 1, "lora", Map.of(), "bot", "test", null, priority),
                JobState.QUEUED, "djl");
        return jobId;
    }

    private Optional<Claim> claim(String owner) {
        return transitions.claimNext(owner, "cpu-0", "djl", "host-" + owner);
    }

    @Test
    void higherPriorityFirstThenTheProjectWithFewerRunningJobs() throws Exception {
        String low = queued("prj_a", 0);
        Thread.sleep(5);
        String high = queued("prj_a", 5);
        assertEquals(high, claim("one").orElseThrow().job().jobId(), "priority beats age");
        assertEquals(low, claim("one").orElseThrow().job().jobId());

        // prj_a now runs two jobs; prj_b none: prj_b's newer job goes first.
        String aOld = queued("prj_a", 0);
        Thread.sleep(5);
        String bNew = queued("prj_b", 0);
        assertEquals(bNew, claim("two").orElseThrow().job().jobId(), "fair share across projects");
        assertEquals(aOld, claim("two").orElseThrow().job().jobId());
        assertTrue(claim("two").isEmpty());
    }

    @Test
    void aLiveLeaseIsNeverTakenAndALostOneCannotFinishTheJob() {
        String jobId = queued("prj_c", 0);
        Claim first = claim("a").orElseThrow();
        assertEquals(1, first.attempt());
        assertTrue(claim("b").isEmpty(), "running under a live lease");

        jdbc.update("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE job_id = ?", jobId);
        Claim second = claim("b").orElseThrow();
        assertEquals(jobId, second.job().jobId());
        assertEquals(2, second.attempt());
        assertEquals("trainer instance a stopped renewing its lease", second.retryReason());

        assertFalse(transitions.progress("a", new TrainingProgress("prj_c", jobId, 3, 10, 0.3, 1.0, 1e-4, 10.0, 5L,
                null, null, 1)), "the old owner's events are refused");
        assertFalse(transitions.finished(first.job(), 1, "a", "k", "sha", 3, Map.of()));
        assertTrue(transitions.finished(second.job(), 2, "b", "k", "sha", 10, Map.of()));
        assertEquals(Optional.of(JobState.SUCCEEDED), jobs.state(jobId));
        assertFalse(transitions.finished(second.job(), 2, "b", "k", "sha", 10, Map.of()), "finishing twice does nothing");
    }

    @Test
    void aStaleOwnersLateCheckpointNeverReplacesTheOneTheNewOwnerPublished() throws Exception {
        staleOwnerUploadsLate("""
                mkdir -p "$w/out/checkpoint-4" && echo 'weights of a at 4' > "$w/out/checkpoint-4/weights"
                echo "{\\"event\\":\\"checkpoint\\",\\"step\\":4,\\"dir\\":\\"$w/out/checkpoint-4\\"}"
                """);
    }

    @Test
    void aStaleOwnersLateOutputNeverReplacesTheOneTheNewOwnerPublished() throws Exception {
        staleOwnerUploadsLate("""
                mkdir -p "$w/out/adapter" && echo 'adapter of a' > "$w/out/adapter/weights"
                echo "{\\"event\\":\\"finished\\",\\"best_step\\":4,\\"outputs\\":{\\"adapter\\":\\"$w/out/adapter\\"},\\"metrics\\":{}}"
                """);
    }

    /**
     * Instance a runs attempt 1 up to its checkpoint at step 2, then stalls and its lease runs out; instance b claims
     * the job and its attempt 2 resumes, checkpoints step 4 and finishes. Then a wakes up and its worker reports
     * {@code late} (step 4 again, or the finished adapter): a uploads it — under its own attempt — and is refused the
     * rest. What the job's events and its last checkpoint name in S3 is still b's, byte for byte.
     */
    private void staleOwnerUploadsLate(String late) throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        TrainingFixture.baseModel(sync, store);
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, ds, 1, null, 8, 8);
        String jobId = TrainingFixture.newId("job_");
        topics.publish(new TrainingRequested(TrainingFixture.PROJECT, jobId, TrainingFixture.BASE_MODEL, ds, 1, "lora",
                Map.of("max_steps", 4, "batch_size", 4, "lora_r", 4), "bot", "test", null), "gateway");
        await().atMost(WAIT).until(() -> {
            transitions.validate(jobId);
            return jobs.state(jobId).equals(Optional.of(JobState.QUEUED));
        });
        Path wake = scripts.resolve("wake-" + jobId);
        String started = "echo '{\"event\":\"started\",\"command\":\"train\",\"runtime\":\"djl\","
                + "\"device\":\"cpu\",\"total_steps\":4,\"train_examples\":8,\"trainable_parameters\":1,"
                + "\"resumed_from_step\":0}'\n";
        String workdir = "w=$5\n";

        Claim first = claim("trainer-a").orElseThrow();
        Thread a = run("trainer-a", first, workdir + started + """
                mkdir -p "$w/out/checkpoint-2" && echo 'weights of a at 2' > "$w/out/checkpoint-2/weights"
                echo "{\\"event\\":\\"checkpoint\\",\\"step\\":2,\\"dir\\":\\"$w/out/checkpoint-2\\"}"
                while [ ! -e '%s' ]; do sleep 0.05; done
                """.formatted(wake) + late);
        await().atMost(WAIT).until(() -> Long.valueOf(2).equals(jobs.find(jobId).orElseThrow().lastCheckpointStep()));

        jdbc.update("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE job_id = ?", jobId);
        Claim second = claim("trainer-b").orElseThrow();
        assertEquals(2, second.attempt());
        assertEquals(2L, second.resumedFrom());
        Thread b = run("trainer-b", second, workdir + started + """
                mkdir -p "$w/out/checkpoint-4" && echo 'weights of b at 4' > "$w/out/checkpoint-4/weights"
                echo "{\\"event\\":\\"checkpoint\\",\\"step\\":4,\\"dir\\":\\"$w/out/checkpoint-4\\"}"
                mkdir -p "$w/out/adapter" && echo 'adapter of b' > "$w/out/adapter/weights"
                echo "{\\"event\\":\\"finished\\",\\"best_step\\":4,\\"outputs\\":{\\"adapter\\":\\"$w/out/adapter\\"},\\"metrics\\":{}}"
                """);
        b.join(WAIT);
        assertEquals(Optional.of(JobState.SUCCEEDED), jobs.state(jobId));

        Files.writeString(wake, "");
        a.join(WAIT);
        assertFalse(a.isAlive(), "a's runner let go");

        await().atMost(WAIT).until(() -> topics.events(CheckpointSaved.class, jobId).size() == 2
                && topics.events(TrainingFinished.class, jobId).size() == 1);
        List<CheckpointSaved> saved = topics.events(CheckpointSaved.class, jobId);
        assertEquals(List.of(2L, 4L), saved.stream().map(CheckpointSaved::step).toList());
        for (CheckpointSaved c : saved) {
            assertEquals(c.sha256(), sync.digestOf(c.objectKey()),
                    "what " + c.objectKey() + " holds is what was announced");
        }
        assertEquals("weights of b at 4", text(saved.get(1).objectKey() + "weights"));
        Jobs.Job job = jobs.find(jobId).orElseThrow();
        assertEquals(saved.get(1).objectKey(), job.lastCheckpointKey(), "the next attempt would resume from b's");
        assertEquals(List.of(saved.get(1).sha256()), checkpoints.of(jobId).stream().filter(c -> c.step() == 4)
                .map(Checkpoints.Checkpoint::sha256).toList());
        TrainingFinished finished = topics.events(TrainingFinished.class, jobId).getFirst();
        assertEquals(finished.artifactSha256(), sync.digestOf(finished.artifactKey()));
        assertEquals("adapter of b", text(finished.artifactKey() + "weights"));
        assertEquals(AttemptKeys.output(TrainingFixture.PROJECT, jobId, 2, "adapter"), finished.artifactKey());
        // What a uploaded late and was refused the publishing of, it deleted: of attempt 1, only what it published.
        assertEquals(files(saved.getFirst().objectKey()), files(AttemptKeys.of(TrainingFixture.PROJECT, jobId, 1)),
                "attempt 1 left behind what nothing names");
    }

    /**
     * A recipe with a {@code mix}: validation pins the general dataset's version and records what it adds; the attempt
     * stages one training file, the job's lines once each and round(n * f / (1 - f)) general ones, as {@link TrainMix}
     * makes it with the recipe's seed, and the worker reads it as its train file.
     */
    @Test
    void aMixedRecipeTrainsOnOneFileOfTheJobsLinesAndItsShareOfTheGeneralDatasets() throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        TrainingFixture.baseModel(sync, store);
        String task = TrainingFixture.newId("ds_");
        String general = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, task, 1, null, 12, 12);
        TrainingFixture.dataset(store, topics, general, 1, null, 30, 30, "Topic");
        String jobId = TrainingFixture.newId("job_");
        topics.publish(new TrainingRequested(TrainingFixture.PROJECT, jobId, TrainingFixture.BASE_MODEL, task, 1, "lora",
                Map.of("max_steps", 2, "batch_size", 4, "seed", 7, "mix", Map.of("dataset_id", general,
                        "fraction", 0.2)), "bot", "test", null), "gateway");
        await().atMost(WAIT).until(() -> {
            transitions.validate(jobId);
            return jobs.state(jobId).equals(Optional.of(JobState.QUEUED));
        });
        assertEquals(Map.of("dataset_id", general, "dataset_version", 1, "fraction", 0.2, "task_examples", 12,
                "general_examples", 3), jobs.find(jobId).orElseThrow().recipe().get("mix"),
                "pinned to the latest ready version, with round(12 * 0.2 / 0.8) = 3 general examples");

        Path copy = scripts.resolve("train-" + jobId + ".jsonl");
        Claim claim = claim("trainer-mix").orElseThrow();
        Thread t = run("trainer-mix", claim, "w=$5\ncp \"$w/data/train.jsonl\" '" + copy + "'\n" + """
                echo '{"event":"started","command":"train","runtime":"djl","device":"cpu","total_steps":2,\
                "train_examples":15,"trainable_parameters":1,"resumed_from_step":0}'
                mkdir -p "$w/out/adapter" && echo 'adapter' > "$w/out/adapter/weights"
                echo "{\\"event\\":\\"finished\\",\\"best_step\\":2,\\"outputs\\":{\\"adapter\\":\\"$w/out/adapter\\"},\\"metrics\\":{}}"
                """);
        t.join(WAIT);
        assertEquals(Optional.of(JobState.SUCCEEDED), jobs.state(jobId));

        List<String> staged = Files.readAllLines(copy);
        List<String> taskLines = text("projects/" + TrainingFixture.PROJECT + "/datasets/" + task + "/v1/train.jsonl")
                .lines().toList();
        List<String> generalLines = text("projects/" + TrainingFixture.PROJECT + "/datasets/" + general
                + "/v1/train.jsonl").lines().toList();
        assertEquals(TrainMix.mix(taskLines, generalLines, 0.2, 7), staged, "the mix of seed 7");
        assertEquals(12, staged.stream().filter(taskLines::contains).count());
        assertEquals(3, staged.stream().filter(l -> l.contains("Topic")).distinct().count());
        assertEquals(String.join("\n", staged), text(AttemptKeys.mixedTrain(TrainingFixture.PROJECT, jobId, 1)),
                "the file a pod would stage");
    }

    @Test
    void aMixedInDatasetOfAnotherFormatFamilyFailsTheJobNamingTheField() {
        TopicClient topics = new TopicClient(bootstrap);
        String task = TrainingFixture.newId("ds_");
        String pairs = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, task, 1, null, 8, 8);
        String prefix = "projects/" + TrainingFixture.PROJECT + "/datasets/" + pairs + "/v1/";
        topics.publish(new DatasetReady(TrainingFixture.PROJECT, pairs, 1, null, "preference", "c1",
                prefix + "train.jsonl", "sha-train", 8, prefix + "validation.jsonl", "sha-valid", 0, 8,
                new TokenStats(1, 1, 1, 1, 1, 0), prefix + "report.json", null), "dataset-service");
        String jobId = TrainingFixture.newId("job_");
        topics.publish(new TrainingRequested(TrainingFixture.PROJECT, jobId, TrainingFixture.BASE_MODEL, task, 1, "lora",
                Map.of("mix", Map.of("dataset_id", pairs, "dataset_version", 1, "fraction", 0.5)), "bot", "test", null),
                "gateway");
        await().atMost(WAIT).until(() -> {
            transitions.validate(jobId);
            return jobs.state(jobId).equals(Optional.of(JobState.FAILED));
        });
        await().atMost(WAIT).until(() -> !topics.events(TrainingFailed.class, jobId).isEmpty());
        TrainingFailed failed = topics.events(TrainingFailed.class, jobId).getFirst();
        assertEquals("invalid_request", failed.code());
        assertEquals("hyperparameters.mix.dataset_id: the general dataset holds preference examples and the job's chat "
                + "examples; both must be preference pairs or neither", failed.message());
    }

    @Test
    void anEndedJobKeepsWhatItsEventsNamedAndLosesWhatADeadAttemptUploaded() {
        String project = "prj_sweep";
        String jobId = queued(project, 0);
        Claim first = claim("a").orElseThrow();
        String partial = AttemptKeys.output(project, jobId, 1, "adapter") + "adapter_model.safetensors";
        store.put(partial, bytes("half an adapter"), "application/octet-stream"); // then instance a was killed

        jdbc.update("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE job_id = ?", jobId);
        Claim second = claim("b").orElseThrow();
        String checkpoint = AttemptKeys.checkpoint(project, jobId, 2, 4);
        store.put(checkpoint + "weights", bytes("weights at 4"), "application/octet-stream");
        assertTrue(transitions.checkpoint(second.job(), 2, "b", 4, checkpoint, "sha-4"));
        String unpublished = AttemptKeys.checkpoint(project, jobId, 2, 6) + "weights";
        store.put(unpublished, bytes("weights at 6"), "application/octet-stream"); // published? b finished first
        String adapter = AttemptKeys.output(project, jobId, 2, "adapter");
        String state = AttemptKeys.output(project, jobId, 2, "trainer_state") + "trainer_state.json";
        store.put(adapter + "adapter_model.safetensors", bytes("adapter of b"), "application/octet-stream");
        store.put(state, bytes("{}"), "application/json");
        assertTrue(transitions.finished(second.job(), 2, "b", adapter, "sha-out", 6, Map.of()));
        String prefix = "projects/" + project + "/jobs/" + jobId + "/";
        assertEquals(5, files(prefix).size(), "nothing is deleted before the sweep");

        sweepAll();

        assertEquals(List.of(AttemptKeys.checkpoint(project, jobId, 2, 4) + "weights",
                adapter + "adapter_model.safetensors", state), files(prefix),
                "the published checkpoint and the finished attempt's output, nothing else");
        store.put(partial, bytes("written after the sweep"), "application/octet-stream");
        sweepAll();
        assertTrue(store.exists(partial), "a job is swept once");
    }

    @Test
    void aCancelledJobKeepsTheCheckpointsItPublishedAndARunningOneKeepsEverything() {
        String project = "prj_sweep";
        String cancelled = queued(project, 0);
        Claim claim = claim("a").orElseThrow();
        String checkpoint = AttemptKeys.checkpoint(project, cancelled, 1, 2);
        store.put(checkpoint + "weights", bytes("weights at 2"), "application/octet-stream");
        assertTrue(transitions.checkpoint(claim.job(), 1, "a", 2, checkpoint, "sha-2"));
        store.put(AttemptKeys.checkpoint(project, cancelled, 1, 4) + "weights", bytes("cut short"),
                "application/octet-stream");
        jobs.requestStop(cancelled, true);
        transitions.attemptEnded(claim.job(), 1, "a", WorkerExit.of(ExitCode.TERMINATED), null, null, false);
        assertEquals(Optional.of(JobState.CANCELLED), jobs.state(cancelled));

        String running = queued(project, 0);
        claim("a").orElseThrow();
        String unpublished = AttemptKeys.checkpoint(project, running, 1, 2) + "weights";
        store.put(unpublished, bytes("being published"), "application/octet-stream");

        sweepAll();

        assertEquals(List.of(checkpoint + "weights"), files("projects/" + project + "/jobs/" + cancelled + "/"));
        assertTrue(store.exists(unpublished), "a job that runs may still publish what it uploaded");
    }

    private void sweepAll() {
        while (leftovers.sweepEndedJobs() > 0) {
            // every ended job of every test so far, a batch at a time
        }
    }

    /** The objects under {@code prefix}, sorted (S3Proxy's filesystem backend also lists directories: left out). */
    private List<String> files(String prefix) {
        return store.list(prefix).stream().filter(key -> !key.endsWith("/")).sorted().toList();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Runs the claimed attempt on its own thread, its worker being {@code script} ({@code $5}: the work directory). */
    private Thread run(String owner, Claim claim, String script) throws Exception {
        Path file = scripts.resolve(owner + "-" + claim.job().jobId() + ".sh");
        Files.writeString(file, script);
        LocalWorkerLauncher launcher = new LocalWorkerLauncher(sync, new WorkerCommand("djl",
                List.of("/bin/sh", file.toString()), Map.of()), scripts.resolve("base-models"), transitions::workdir,
                "cpu", null, WorkerWatchdog.NONE);
        Thread t = new Thread(new AttemptRunner(new AttemptRunner.Context(transitions, datasets, trainSplits, launcher, leftovers,
                owner, "cpu-0", 500), claim), "attempt-" + owner);
        t.start();
        return t;
    }

    private String text(String key) throws Exception {
        try (InputStream in = store.get(key)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }
}
