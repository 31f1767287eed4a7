package dev.tuneforge.trainer;

import static dev.tuneforge.platform.test.Kubelet.line;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.launcher.KubeletExpansion;
import dev.tuneforge.platform.test.Kubelet;
import dev.tuneforge.platform.test.KubernetesMock;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.trainer.domain.AttemptOutcome;
import dev.tuneforge.trainer.domain.JobState;
import dev.tuneforge.trainer.storage.Attempts;
import dev.tuneforge.trainer.storage.Jobs;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A job through the Kubernetes launcher, with the scheduler's loop and the real broker, S3 server and database,
 * against the Kubernetes API mock server: the test plays the cluster (pod, status, the worker's log, the sidecar's
 * uploads). The Job asks for the GPU node pool; checkpoints and the output are announced once, with the digests of
 * the manifests the sidecar wrote, and only once those manifests are there.
 */
@QuarkusTest
@TestProfile(KubernetesTrainingTest.OnKubernetes.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class KubernetesTrainingTest {

    /** The launcher on the mock's API; slots are capacity units of the pool (more than one test job needs). */
    public static class OnKubernetes implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.ofEntries(
                    Map.entry("tuneforge.trainer.launcher", "kubernetes"),
                    Map.entry("tuneforge.trainer.slots", IntStream.range(0, 8).mapToObj(i -> "gpu-" + i + ":torch")
                            .collect(Collectors.joining(","))),
                    // a GPU pool's jobs ask for nothing and run on torch
                    Map.entry("tuneforge.trainer.default-runtime", "torch"),
                    Map.entry("tuneforge.trainer.kubernetes.namespace", Kubelet.NAMESPACE),
                    Map.entry("tuneforge.trainer.kubernetes.image", "registry.example/tuneforge-worker:1.0"),
                    Map.entry("tuneforge.trainer.kubernetes.gpus", "2"),
                    Map.entry("tuneforge.trainer.kubernetes.cpu", "8"),
                    Map.entry("tuneforge.trainer.kubernetes.memory", "64Gi"),
                    Map.entry("tuneforge.trainer.kubernetes.node-selector", "tuneforge.dev/pool=gpu"),
                    Map.entry("tuneforge.trainer.kubernetes.tolerations",
                            "nvidia.com/gpu:NoSchedule,tuneforge.dev/pool=gpu:NoSchedule"),
                    Map.entry("tuneforge.trainer.kubernetes.s3-endpoint", "http://minio.tuneforge:9000"),
                    Map.entry("tuneforge.trainer.kubernetes.s3-credentials-secret", "tuneforge-s3"),
                    Map.entry("tuneforge.trainer.kubernetes.poll-interval", "100ms"));
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
        // jobs other test classes left behind would become Jobs here too
        jdbc.update("UPDATE jobs SET state = 'cancelled' WHERE state IN ('queued', 'running', 'validating')");
    }

    @Test
    void aJobRunsAsAKubernetesJobAndItsUploadsAreAnnouncedOnceWithTheSidecarsDigests() throws Exception {
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.dataset(store, topics, ds, 1, null, 24, 24);
        String jobId = TrainingFixture.newId("job_");
        topics.publish(new TrainingRequested(TrainingFixture.PROJECT, jobId, TrainingFixture.BASE_MODEL, ds, 1, "lora",
                Map.of("max_steps", 4, "batch_size", 4, "save_steps", 2, "lora_r", 4), "bot", "test", null), "gateway");

        await().atMost(WAIT).until(() -> kubelet.jobs(jobId).size() == 1);
        Job job = kubelet.jobs(jobId).getFirst();
        assertEquals("1", job.getMetadata().getLabels().get("tuneforge.dev/attempt"));
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        Container worker = pod.getContainers().getFirst();
        assertEquals("registry.example/tuneforge-worker:1.0", worker.getImage());
        assertEquals(List.of("python", "-m", "tuneforge_worker", "train", "--spec", "/work/spec.json", "--workdir",
                "/work"), worker.getCommand());
        assertEquals(new Quantity("2"), worker.getResources().getLimits().get("nvidia.com/gpu"));
        assertEquals(new Quantity("8"), worker.getResources().getRequests().get("cpu"));
        assertEquals(new Quantity("64Gi"), worker.getResources().getLimits().get("memory"));
        assertEquals(Map.of("tuneforge.dev/pool", "gpu"), pod.getNodeSelector());
        assertEquals(List.of("nvidia.com/gpu/Exists/null/NoSchedule", "tuneforge.dev/pool/Equal/gpu/NoSchedule"),
                pod.getTolerations().stream().map(t -> t.getKey() + "/" + t.getOperator() + "/" + t.getValue() + "/"
                        + t.getEffect()).toList());

        Container stage = pod.getInitContainers().getFirst();
        Map<String, String> stageEnv = env(stage);
        assertEquals("http://minio.tuneforge:9000", stageEnv.get("S3_ENDPOINT"));
        assertEquals(store.bucket(), stageEnv.get("S3_BUCKET"));
        assertEquals("tuneforge-s3", stage.getEnvFrom().getFirst().getSecretRef().getName());
        String script = KubeletExpansion.command(stage, Map.of()).get(2);
        assertTrue(script.contains("mc mirror --quiet \"s3/$S3_BUCKET\"/'base-models/tiny-test/' \"$WORK\"/'models/base'"),
                script);
        String datasetPrefix = "projects/" + TrainingFixture.PROJECT + "/datasets/" + ds + "/v1/";
        assertTrue(script.contains("mc cp --quiet \"s3/$S3_BUCKET\"/'" + datasetPrefix + "train.jsonl' \"$WORK\"/'data/train.jsonl'"),
                script);
        JsonNode spec = EventCodec.mapper().readTree(stageEnv.get("TUNEFORGE_SPEC"));
        assertEquals("models/base", spec.path("base_model").asText());
        assertEquals("data/train.jsonl", spec.path("data").path("train").asText());
        assertEquals("out", spec.path("output_dir").asText());
        assertEquals("cuda", spec.path("device").asText());
        assertEquals(4, spec.path("hyperparameters").path("max_steps").asInt());
        assertTrue(spec.path("resume_from").isMissingNode());
        Map<String, String> syncEnv = env(pod.getInitContainers().get(1));
        String jobPrefix = "projects/" + TrainingFixture.PROJECT + "/jobs/" + jobId + "/";
        // the attempt's own prefixes: a stale attempt's sidecar never writes over this one's
        String checkpointPrefix = jobPrefix + "attempt-1/checkpoints/";
        String outputPrefix = jobPrefix + "attempt-1/output/";
        assertEquals(checkpointPrefix, syncEnv.get("CHECKPOINT_PREFIX"));
        assertEquals(outputPrefix, syncEnv.get("OUTPUT_PREFIX"));

        String podName = kubelet.startPod(job);
        kubelet.serveLog(podName, null, List.of(
                line(0, "{\"event\":\"started\",\"runtime\":\"torch\",\"total_steps\":4}"),
                line(1, "{\"event\":\"progress\",\"step\":1,\"total_steps\":4,\"train_loss\":2.5}"),
                line(2, "{\"event\":\"progress\",\"step\":2,\"total_steps\":4,\"train_loss\":2.0}"),
                line(3, "{\"event\":\"checkpoint\",\"step\":2,\"dir\":\"/work/out/checkpoint-2\"}")));
        await().atMost(WAIT).until(() -> topics.events(TrainingProgress.class, jobId).size() == 2);
        // Not announced before the sidecar uploaded it: nothing for half a second.
        await().during(Duration.ofMillis(500)).atMost(WAIT)
                .until(() -> topics.events(CheckpointSaved.class, jobId).isEmpty());

        String step2 = Kubelet.sidecarUploads(sync::upload, checkpointPrefix + "step-2/",
                Map.of("adapter_model.safetensors", "weights at 2", "trainer_state.json", "{\"step\":2}"));
        await().atMost(WAIT).until(() -> topics.events(CheckpointSaved.class, jobId).size() == 1);
        assertEquals(step2, topics.events(CheckpointSaved.class, jobId).getFirst().sha256());

        String step4 = Kubelet.sidecarUploads(sync::upload, checkpointPrefix + "step-4/",
                Map.of("adapter_model.safetensors", "weights at 4", "trainer_state.json", "{\"step\":4}"));
        String adapter = Kubelet.sidecarUploads(sync::upload, outputPrefix + "adapter/",
                Map.of("adapter_model.safetensors", "final weights", "adapter_config.json", "{\"r\":4}"));
        kubelet.serveLog(podName, Kubelet.time(3), List.of(
                line(3, "{\"event\":\"checkpoint\",\"step\":2,\"dir\":\"/work/out/checkpoint-2\"}"),
                line(4, "{\"event\":\"progress\",\"step\":3,\"total_steps\":4,\"train_loss\":1.5}"),
                line(5, "{\"event\":\"progress\",\"step\":4,\"total_steps\":4,\"train_loss\":1.25}"),
                line(6, "{\"event\":\"checkpoint\",\"step\":4,\"dir\":\"/work/out/checkpoint-4\"}"),
                line(7, "{\"event\":\"finished\",\"best_step\":4,\"metrics\":{\"train_loss\":1.25},"
                        + "\"outputs\":{\"adapter\":\"/work/out/adapter\",\"trainer_state\":\"/work/out/trainer_state.json\"}}")));
        await().atMost(WAIT).until(() -> jobs.state(jobId).equals(Optional.of(JobState.SUCCEEDED)));
        kubelet.exit(podName, job.getMetadata().getName(), 0);

        await().atMost(WAIT).until(() -> !topics.events(TrainingFinished.class, jobId).isEmpty());
        // The relay runs every second: a second event would be out within 1.5 s.
        await().during(Duration.ofMillis(1500)).atMost(WAIT)
                .until(() -> topics.events(TrainingFinished.class, jobId).size() == 1);
        List<TrainingFinished> finished = topics.events(TrainingFinished.class, jobId);
        assertEquals(1, finished.size());
        assertEquals(outputPrefix + "adapter/", finished.getFirst().artifactKey());
        assertEquals(adapter, finished.getFirst().artifactSha256());
        assertEquals(4, finished.getFirst().bestStep());
        assertEquals(1.25, finished.getFirst().metrics().get("train_loss"));
        assertEquals(List.of(2L, 4L), topics.events(CheckpointSaved.class, jobId).stream().map(CheckpointSaved::step)
                .toList());
        assertEquals(step4, topics.events(CheckpointSaved.class, jobId).get(1).sha256());
        assertEquals(List.of(1L, 2L, 3L, 4L), topics.events(TrainingProgress.class, jobId).stream()
                .map(TrainingProgress::step).toList());
        List<TrainingStarted> started = topics.events(TrainingStarted.class, jobId);
        assertEquals(1, started.size());
        assertEquals("torch", started.getFirst().runtime());
        assertNull(started.getFirst().resumedFromStep());
        assertEquals(1, kubelet.jobs(jobId).size());
        assertEquals(AttemptOutcome.SUCCEEDED, attempts.find(jobId, 1).orElseThrow().outcome());
        assertFalse(store.exists(outputPrefix + "trainer_state/trainer_state.json"),
                "the trainer leaves trainer_state.json to the sidecar");
    }

    /** The container's environment as its process sees it (the kubelet expands what the Job says). */
    private static Map<String, String> env(Container c) {
        return KubeletExpansion.environment(c, Map.of());
    }
}
