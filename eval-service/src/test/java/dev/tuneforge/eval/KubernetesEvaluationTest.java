package dev.tuneforge.eval;

import static dev.tuneforge.platform.test.Kubelet.line;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.eval.run.EvalRunner;
import dev.tuneforge.eval.storage.EvalRuns;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.launcher.KubeletExpansion;
import dev.tuneforge.launcher.KubernetesManifests;
import dev.tuneforge.platform.test.Kubelet;
import dev.tuneforge.platform.test.KubernetesMock;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Evaluations through the Kubernetes launcher and the slots, as training runs: eval-service with two GPU slots and
 * three finished jobs (whose dataset version is announced after them) runs two evaluations at once, each subject a Job on the GPU node pool (worker
 * {@code evaluate}, inputs staged from S3, results uploaded by the sidecar), and the third when a slot frees up.
 * The test plays the cluster against fabric8's API mock server (pods, their status and log, the sidecar's uploads),
 * with the real broker, S3 server and database.
 */
@QuarkusTest
@TestProfile(KubernetesEvaluationTest.OnKubernetes.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "eval"))
class KubernetesEvaluationTest {

    /** Two slots on the GPU node pool, Jobs of one GPU each. */
    public static class OnKubernetes implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.ofEntries(
                    Map.entry("tuneforge.eval.launcher", "kubernetes"),
                    Map.entry("tuneforge.eval.slots", "gpu-0:torch,gpu-1:torch"),
                    Map.entry("tuneforge.eval.kubernetes.namespace", Kubelet.NAMESPACE),
                    Map.entry("tuneforge.eval.kubernetes.image", "registry.example/tuneforge-worker:1.0"),
                    Map.entry("tuneforge.eval.kubernetes.gpus", "1"),
                    Map.entry("tuneforge.eval.kubernetes.node-selector", "tuneforge.dev/pool=gpu"),
                    Map.entry("tuneforge.eval.kubernetes.tolerations", "nvidia.com/gpu:NoSchedule"),
                    Map.entry("tuneforge.eval.kubernetes.s3-endpoint", "http://minio.tuneforge:9000"),
                    Map.entry("tuneforge.eval.kubernetes.poll-interval", "100ms"),
                    Map.entry("tuneforge.eval.tick", "200ms"),
                    Map.entry("tuneforge.eval.dataset-wait", "1m"));
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(KubernetesMock.class,
                    Map.of(KubernetesMock.PROPERTY, "tuneforge.eval.kubernetes.master-url")));
        }
    }

    private static final Duration WAIT = Duration.ofMinutes(1);
    private static final String PROJECT = "prj_k8s";
    private static final String BASE = "tiny-k8s";
    private static final List<String> ANSWERS = List.of("{\"name\": \"Ada\", \"age\": 36}",
            "{\"name\": \"Bo\", \"age\": 7}", "{\"name\": \"Cy\", \"age\": 58}");

    @KubernetesMock.Server
    KubernetesMockServer server;
    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @Inject
    EvalRunner runner;
    @Inject
    EvalRuns runs;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void evaluationsRunAsJobsOnTheGpuPoolTwoAtATime() throws Exception {
        Kubelet kubelet = new Kubelet(server);
        TopicClient topics = new TopicClient(bootstrap);
        store.put(ObjectKeys.baseModel(BASE) + "config.json",
                "{\"max_position_embeddings\": 512}".getBytes(StandardCharsets.UTF_8), "application/json");
        String ds = "ds_" + UUID.randomUUID().toString().substring(0, 8);
        String prefix = "projects/" + PROJECT + "/datasets/" + ds + "/v1/";
        store.put(prefix + "validation.jsonl", "{}\n".getBytes(StandardCharsets.UTF_8), "application/jsonl");
        List<String> jobIds = List.of("job_k8s_a_" + ds, "job_k8s_b_" + ds, "job_k8s_c_" + ds);
        for (String jobId : jobIds) {
            topics.publish(new TrainingFinished(PROJECT, jobId, "bot", BASE, ds, 1, "lora",
                    "projects/" + PROJECT + "/jobs/" + jobId + "/output/adapter/", "aa", 10,
                    Map.of("train_loss", 0.5), null, "torch"), "trainer-service");
        }
        // The dataset version's DatasetReady comes later, on its own topic: the evaluations wait for it.
        await().atMost(WAIT).until(() -> jobIds.stream().allMatch(j -> runs.status(j).isPresent()));
        await().during(Duration.ofSeconds(1)).atMost(WAIT).until(() -> jobs(kubelet).isEmpty());
        topics.publish(new DatasetReady(PROJECT, ds, 1, null, "chat", "c", prefix + "train.jsonl", "t", 30,
                prefix + "validation.jsonl", "v", 3, 30, new TokenStats(1, 1, 1, 1, 1, 0), prefix + "report.json",
                null), "dataset-service");

        // Two slots: two Jobs, and no third while they run.
        await().atMost(WAIT).until(() -> jobs(kubelet).size() == 2);
        await().during(Duration.ofSeconds(1)).atMost(WAIT).until(() -> jobs(kubelet).size() == 2);
        assertEquals(2, runner.running().size());

        Job first = jobs(kubelet).getFirst();
        PodSpec pod = first.getSpec().getTemplate().getSpec();
        Container worker = pod.getContainers().getFirst();
        assertEquals(List.of("python", "-m", "tuneforge_worker", "evaluate", "--spec", "/work/spec.json",
                "--workdir", "/work"), worker.getCommand());
        assertEquals(new Quantity("1"), worker.getResources().getLimits().get("nvidia.com/gpu"));
        assertEquals(Map.of("tuneforge.dev/pool", "gpu"), pod.getNodeSelector());
        Map<String, String> stage = env(pod.getInitContainers().getFirst());
        assertEquals("http://minio.tuneforge:9000", stage.get("S3_ENDPOINT"));
        String script = KubeletExpansion.command(pod.getInitContainers().getFirst(), Map.of()).get(2);
        assertTrue(script.contains("'base-models/" + BASE + "/' \"$WORK\"/'models/base'"), script);
        assertTrue(script.contains("/output/adapter/' \"$WORK\"/'models/artifact'"), script);
        assertTrue(script.contains("'" + prefix + "validation.jsonl' \"$WORK\"/'data/heldout.jsonl'"), script);
        JsonNode spec = EventCodec.mapper().readTree(stage.get("TUNEFORGE_SPEC"));
        assertEquals("models/base", spec.path("base_model").asText());
        assertEquals("models/artifact", spec.path("adapter").asText());
        assertEquals("out/results/results.jsonl", spec.path("output").asText());
        assertEquals("cuda", spec.path("device").asText());
        assertEquals(512, spec.path("max_seq_length").asInt());
        Map<String, String> sidecar = env(pod.getInitContainers().get(1));
        assertFalse(sidecar.containsKey("CHECKPOINT_PREFIX"));
        assertTrue(sidecar.get("OUTPUT_PREFIX").startsWith("projects/" + PROJECT + "/eval/cache/"),
                sidecar.toString());

        // Play every Job as the cluster would until all three jobs are evaluated.
        Set<String> played = new HashSet<>();
        int mostAtOnce = 0;
        while (jobIds.stream().anyMatch(j -> topics.events(EvalPassed.class, j).isEmpty()
                && topics.events(EvalFailed.class, j).isEmpty())) {
            List<Job> open = jobs(kubelet).stream().filter(j -> !played.contains(j.getMetadata().getName())).toList();
            mostAtOnce = Math.max(mostAtOnce, open.size());
            for (Job job : open) {
                play(kubelet, job);
                played.add(job.getMetadata().getName());
            }
            await().atMost(WAIT).until(() -> jobs(kubelet).size() > played.size()
                    || jobIds.stream().allMatch(j -> !topics.events(EvalPassed.class, j).isEmpty()
                            || !topics.events(EvalFailed.class, j).isEmpty()));
        }
        assertTrue(mostAtOnce <= 2, "at most one Job per slot, saw " + mostAtOnce);
        for (String jobId : jobIds) {
            assertTrue(topics.events(EvalFailed.class, jobId).isEmpty(), () -> topics.events(EvalFailed.class, jobId)
                    .toString());
            EvalPassed passed = topics.events(EvalPassed.class, jobId).getFirst();
            assertEquals(1.0, passed.metrics().get("exact_match"), passed.metrics().toString());
        }
        // Three candidates, and the base model on this held-out set: once per slot that missed the cache at the
        // same time, never once per candidate.
        long baseJobs = jobs(kubelet).stream().filter(j -> !stagesArtifact(j)).count();
        assertEquals(3, jobs(kubelet).size() - baseJobs);
        assertTrue(baseJobs >= 1 && baseJobs <= 2, "base evaluated " + baseJobs + " times");
    }

    /** The worker of {@code job} runs: right answers for a candidate, wrong ones for the base model. */
    private void play(Kubelet kubelet, Job job) throws Exception {
        PodSpec spec = job.getSpec().getTemplate().getSpec();
        String outputPrefix = env(spec.getInitContainers().get(1)).get("OUTPUT_PREFIX");
        boolean candidate = stagesArtifact(job);
        String pod = kubelet.startPod(job);
        kubelet.serveLog(pod, null, List.of(
                line(0, "{\"event\":\"started\",\"runtime\":\"torch\"}"),
                line(1, "{\"event\":\"finished\",\"outputs\":{\"results\":\"/work/out/results/results.jsonl\"},"
                        + "\"metrics\":{}}")));
        StringBuilder results = new StringBuilder();
        for (int i = 0; i < ANSWERS.size(); i++) {
            results.append(EventCodec.mapper().writeValueAsString(Map.of("index", i, "loss", candidate ? 0.1 : 3.0,
                    "tokens", 12, "token_accuracy", candidate ? 1.0 : 0.1,
                    "generated", candidate ? ANSWERS.get(i) : "name age", "reference", ANSWERS.get(i),
                    "exact_match", candidate))).append('\n');
        }
        Kubelet.sidecarUploads(sync::upload, outputPrefix + "results/", Map.of("results.jsonl", results.toString()));
        kubelet.exit(pod, job.getMetadata().getName(), 0);
    }

    private static boolean stagesArtifact(Job job) {
        return KubeletExpansion.command(job.getSpec().getTemplate().getSpec().getInitContainers().getFirst(), Map.of()).get(2)
                .contains("models/artifact");
    }

    /** The evaluation Jobs in the namespace, oldest first. */
    private static List<Job> jobs(Kubelet kubelet) {
        return kubelet.all().stream()
                .filter(j -> j.getMetadata().getLabels().get(KubernetesManifests.JOB_ID).startsWith("eval-"))
                .toList();
    }

    /** The container's environment as its process sees it (the kubelet expands what the Job says). */
    private static Map<String, String> env(Container c) {
        return KubeletExpansion.environment(c, Map.of());
    }
}
