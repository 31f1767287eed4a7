package dev.tuneforge.trainer;

import static dev.tuneforge.platform.test.Kubelet.line;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.Kubelet;
import dev.tuneforge.platform.test.KubernetesMock;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.trainer.domain.AttemptOutcome;
import dev.tuneforge.trainer.domain.JobState;
import dev.tuneforge.trainer.domain.JobTransitions.Claim;
import dev.tuneforge.trainer.domain.JobTransitions;
import dev.tuneforge.trainer.domain.LeftoverObjects;
import dev.tuneforge.trainer.launch.AttemptRunner;
import dev.tuneforge.trainer.launch.Launchers;
import dev.tuneforge.trainer.launch.MixedTrainSplits;
import dev.tuneforge.trainer.storage.AttemptKeys;
import dev.tuneforge.trainer.storage.Attempts;
import dev.tuneforge.trainer.storage.DatasetVersions;
import dev.tuneforge.trainer.storage.Jobs;
import dev.tuneforge.worker.protocol.ExitCode;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A trainer instance dies while its attempt runs as a Kubernetes Job: the instance that claims the job next finds
 * the Job still running and re-adopts it under the same attempt number — no second Job — and follows its log from
 * the start, and the replayed events change nothing twice. The two instances are driven by hand (the scheduler's
 * loop is off), as in LeaseAndQueueTest.
 */
@QuarkusTest
@TestProfile(KubernetesReadoptionTest.OnKubernetesByHand.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class KubernetesReadoptionTest {

    public static class OnKubernetesByHand implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tuneforge.trainer.tick", "off",
                    "tuneforge.trainer.lease", "2m",
                    "tuneforge.trainer.launcher", "kubernetes",
                    "tuneforge.trainer.slots", "gpu-0:torch,gpu-1:torch",
                    "tuneforge.trainer.default-runtime", "torch",
                    "tuneforge.trainer.kubernetes.namespace", Kubelet.NAMESPACE,
                    "tuneforge.trainer.kubernetes.image", "registry.example/tuneforge-worker:1.0",
                    "tuneforge.trainer.kubernetes.poll-interval", "100ms");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(KubernetesMock.class));
        }
    }

    private static final Duration WAIT = Duration.ofMinutes(1);

    @KubernetesMock.Server
    KubernetesMockServer server;
    @Inject
    Jobs jobs;
    @Inject
    Attempts attempts;
    @Inject
    JobTransitions transitions;
    @Inject
    DatasetVersions datasets;
    @Inject
    Launchers launchers;
    @Inject
    LeftoverObjects leftovers;
    @Inject
    MixedTrainSplits trainSplits;
    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @Inject
    Jdbc jdbc;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    TopicClient topics;
    Kubelet kubelet;

    @BeforeEach
    void setUp() throws Exception {
        topics = new TopicClient(bootstrap);
        kubelet = new Kubelet(server);
        TrainingFixture.baseModel(sync, store);
        jdbc.update("UPDATE jobs SET state = 'cancelled' WHERE state IN ('queued', 'running', 'validating')");
    }

    private Thread run(String owner, String slot, Claim claim, AttemptRunner[] holder) {
        AttemptRunner runner = new AttemptRunner(new AttemptRunner.Context(transitions, datasets, trainSplits,
                launchers.forRuntime("torch"), leftovers, owner, slot, 500), claim);
        holder[0] = runner;
        Thread t = new Thread(runner, "attempt-" + owner);
        t.start();
        return t;
    }

    @Test
    void aJobLeftRunningByADeadInstanceIsReadoptedNotRelaunchedAndFinishesOnce() throws Exception {
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, ds, 1, null, 24, 24);
        String jobId = TrainingFixture.newId("job_");
        topics.publish(new TrainingRequested(TrainingFixture.PROJECT, jobId, TrainingFixture.BASE_MODEL, ds, 1, "lora",
                Map.of("max_steps", 4, "batch_size", 4, "save_steps", 2, "lora_r", 4), "bot", "test", null), "gateway");
        await().atMost(WAIT).until(() -> {
            transitions.validate(jobId);
            return jobs.state(jobId).equals(Optional.of(JobState.QUEUED));
        });

        // Instance a claims the job and launches attempt 1 as a Job; the worker gets to its first checkpoint.
        Claim first = transitions.claimNext("trainer-a", "gpu-0", "torch", "host-a", launchers::adoptable).orElseThrow();
        assertEquals(jobId, first.job().jobId());
        assertFalse(first.readopted());
        AttemptRunner[] a = new AttemptRunner[1];
        Thread threadA = run("trainer-a", "gpu-0", first, a);
        await().atMost(WAIT).until(() -> kubelet.jobs(jobId).size() == 1);
        Job job = kubelet.jobs(jobId).getFirst();
        String pod = kubelet.startPod(job);
        List<String> log = new ArrayList<>(List.of(
                line(0, "{\"event\":\"started\",\"runtime\":\"torch\",\"total_steps\":4}"),
                line(1, "{\"event\":\"progress\",\"step\":1,\"total_steps\":4,\"train_loss\":2.5}"),
                line(2, "{\"event\":\"progress\",\"step\":2,\"total_steps\":4,\"train_loss\":2.0}"),
                line(3, "{\"event\":\"checkpoint\",\"step\":2,\"dir\":\"/work/out/checkpoint-2\"}")));
        String step2 = Kubelet.sidecarUploads(sync::upload,
                AttemptKeys.checkpoint(TrainingFixture.PROJECT, jobId, 1, 2),
                Map.of("adapter_model.safetensors", "weights at 2"));
        kubelet.serveLog(pod, null, log);
        await().atMost(WAIT).until(() -> topics.events(CheckpointSaved.class, jobId).size() == 1);
        await().atMost(WAIT).until(() -> topics.events(TrainingProgress.class, jobId).size() == 2);

        // Instance a dies: its lease runs out. (Its thread only stops following the Job, as a runner that lost
        // its lease does: it must not delete the Job.)
        jdbc.update("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE job_id = ?", jobId);
        a[0].leaseLost();
        threadA.join(Duration.ofSeconds(20));
        assertFalse(threadA.isAlive(), "instance a's runner let go of the Job");
        assertEquals(1, kubelet.jobs(jobId).size(), "the Job runs on");

        // Instance b claims the job: the Job still runs, so it is re-adopted under the same attempt.
        Claim second = transitions.claimNext("trainer-b", "gpu-1", "torch", "host-b", launchers::adoptable)
                .orElseThrow();
        assertEquals(jobId, second.job().jobId());
        assertTrue(second.readopted());
        assertEquals(1, second.attempt());
        assertEquals("trainer-b", attempts.find(jobId, 1).orElseThrow().owner());
        assertNull(attempts.find(jobId, 1).orElseThrow().outcome(), "attempt 1 is not lost");

        String adapter = Kubelet.sidecarUploads(sync::upload,
                AttemptKeys.output(TrainingFixture.PROJECT, jobId, 1, "adapter"),
                Map.of("adapter_model.safetensors", "final weights"));
        Kubelet.sidecarUploads(sync::upload, AttemptKeys.checkpoint(TrainingFixture.PROJECT, jobId, 1, 4),
                Map.of("adapter_model.safetensors", "weights at 4"));
        log.addAll(List.of(
                line(4, "{\"event\":\"progress\",\"step\":3,\"total_steps\":4,\"train_loss\":1.5}"),
                line(5, "{\"event\":\"progress\",\"step\":4,\"total_steps\":4,\"train_loss\":1.25}"),
                line(6, "{\"event\":\"checkpoint\",\"step\":4,\"dir\":\"/work/out/checkpoint-4\"}"),
                line(7, "{\"event\":\"finished\",\"best_step\":4,\"outputs\":{\"adapter\":\"/work/out/adapter\"}}")));
        kubelet.serveLog(pod, null, log); // b reads the log from the start
        AttemptRunner[] b = new AttemptRunner[1];
        Thread threadB = run("trainer-b", "gpu-1", second, b);
        await().atMost(WAIT).until(() -> jobs.state(jobId).equals(Optional.of(JobState.SUCCEEDED)));
        kubelet.exit(pod, job.getMetadata().getName(), 0);
        threadB.join(Duration.ofSeconds(20));
        assertFalse(threadB.isAlive());

        await().atMost(WAIT).until(() -> !topics.events(TrainingFinished.class, jobId).isEmpty());
        await().atMost(WAIT).until(() -> topics.events(TrainingProgress.class, jobId).size() >= 4);
        // The relay runs every second: a repeated event would be out within 1.5 s.
        await().during(Duration.ofMillis(1500)).atMost(WAIT)
                .until(() -> topics.events(TrainingFinished.class, jobId).size() == 1);
        assertEquals(adapter, topics.events(TrainingFinished.class, jobId).getFirst().artifactSha256());
        assertEquals(1, kubelet.jobs(jobId).size(), "one Job: re-adopted, not launched again");
        assertEquals(1, topics.events(TrainingStarted.class, jobId).size());
        assertEquals(List.of(1L, 2L, 3L, 4L), topics.events(TrainingProgress.class, jobId).stream()
                .map(TrainingProgress::step).toList());
        List<CheckpointSaved> checkpoints = topics.events(CheckpointSaved.class, jobId);
        assertEquals(List.of(2L, 4L), checkpoints.stream().map(CheckpointSaved::step).toList());
        assertEquals(step2, checkpoints.getFirst().sha256());
        assertEquals(1, attempts.of(jobId).size());
        assertEquals(AttemptOutcome.SUCCEEDED, attempts.of(jobId).getFirst().outcome());
    }

    @Test
    void aJobWhoseKubernetesJobFailedWhileNoInstanceWatchedIsRelaunchedAsTheNextAttempt() throws Exception {
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, ds, 1, null, 24, 24);
        String jobId = TrainingFixture.newId("job_");
        topics.publish(new TrainingRequested(TrainingFixture.PROJECT, jobId, TrainingFixture.BASE_MODEL, ds, 1, "lora",
                Map.of("max_steps", 4, "batch_size", 4, "save_steps", 2, "lora_r", 4), "bot", "test", null), "gateway");
        await().atMost(WAIT).until(() -> {
            transitions.validate(jobId);
            return jobs.state(jobId).equals(Optional.of(JobState.QUEUED));
        });
        Claim first = transitions.claimNext("trainer-a", "gpu-0", "torch", "host-a", launchers::adoptable).orElseThrow();
        launchers.forRuntime("torch").start(first.job(), first.attempt(), datasets.find(ds, 1).orElseThrow());
        Job job = kubelet.jobs(jobId).getFirst();
        // the worker is OOMKilled while no instance follows it: nothing to adopt
        String pod = kubelet.startPod(job);
        kubelet.exit(pod, job.getMetadata().getName(), ExitCode.KILLED.status());
        jdbc.update("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE job_id = ?", jobId);

        Claim second = transitions.claimNext("trainer-b", "gpu-1", "torch", "host-b", launchers::adoptable)
                .orElseThrow();
        assertFalse(second.readopted());
        assertEquals(2, second.attempt());
        Attempts.Attempt lost = attempts.find(jobId, 1).orElseThrow();
        assertEquals(AttemptOutcome.LOST, lost.outcome());
        assertEquals("trainer instance trainer-a stopped renewing its lease", lost.outcomeMessage());
    }
}
