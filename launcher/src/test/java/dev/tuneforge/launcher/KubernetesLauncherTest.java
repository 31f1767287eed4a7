package dev.tuneforge.launcher;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Kubernetes launcher against fabric8's API mock server (CRUD mode; expectations for pod logs). */
@EnableKubernetesMockClient(crud = true, https = false)
class KubernetesLauncherTest {

    private static final String NS = "tuneforge";

    KubernetesMockServer server;
    KubernetesClient client;

    /**
     * What the Job controller and the kubelet would do (create pods, report their status), each through a client
     * of its own: the mock server drops kept-alive connections after a log stream, and a pooled one would fail.
     */
    private void kubelet(java.util.function.Consumer<KubernetesClient> action) {
        try (KubernetesClient kubelet = server.createClient()) {
            action.accept(kubelet);
        }
    }

    private static KubernetesLauncherConfig.Builder config() {
        return KubernetesLauncherConfig.builder(NS, "registry.example/tuneforge-worker:1.0")
                .s3("http://minio.tuneforge:9000", "tuneforge", "tuneforge-s3")
                .pollInterval(Duration.ofMillis(50));
    }

    private static KubernetesLauncherConfig gpuConfig() {
        return config()
                .gpus(2)
                .cpu("8")
                .memory("64Gi")
                .serviceAccount("tuneforge-worker")
                .nodeSelector(Map.of("tuneforge.dev/pool", "gpu", "nvidia.com/gpu.product", "NVIDIA-H100-80GB-HBM3"))
                .tolerations(List.of(new KubernetesLauncherConfig.Toleration("nvidia.com/gpu", "Exists", null,
                                "NoSchedule"),
                        new KubernetesLauncherConfig.Toleration("tuneforge.dev/pool", "Equal", "gpu", "NoSchedule")))
                .activeDeadlineSeconds(86_400L)
                .priorityClassName("tuneforge-training")
                .runtimeClassName("nvidia")
                .build();
    }

    private static KubernetesAttempt attempt(String jobId, int n, WorkerCommand runtime, int nodes) {
        return new KubernetesAttempt(jobId, n, runtime, "train", "{\"base_model\":\"models/base\"}",
                List.of(new KubernetesAttempt.Input("base-models/llama-1b/", "models/base"),
                        new KubernetesAttempt.Input("projects/p1/datasets/d1/v2/train.jsonl", "data/train.jsonl"),
                        new KubernetesAttempt.Input("projects/p1/jobs/" + jobId + "/checkpoints/step-40/",
                                "resume/checkpoint-40")),
                "projects/p1/jobs/" + jobId + "/checkpoints/", "projects/p1/jobs/" + jobId + "/output/", nodes);
    }

    private static WorkerCommand djlInImage() {
        return WorkerCommand.djl("java", "/opt/tuneforge/worker/lib/*", 8, "16g");
    }

    private Job job(String name) {
        return client.batch().v1().jobs().inNamespace(NS).withName(name).get();
    }

    private static Container container(List<Container> containers, String name) {
        return containers.stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
    }

    /** The S3 Secret the storage containers load with envFrom, as the kubelet would define it before their env. */
    private static final Map<String, String> SECRET = Map.of("AWS_ACCESS_KEY_ID", "the-key-id",
            "AWS_SECRET_ACCESS_KEY", "the-secret");

    /** The container's environment as its process sees it: each value expanded by the kubelet. */
    private static Map<String, String> env(Container c) {
        return KubeletExpansion.environment(c, sources(c));
    }

    /** The container's command line as its process gets it. */
    private static List<String> command(Container c) {
        return KubeletExpansion.command(c, sources(c));
    }

    private static Map<String, String> sources(Container c) {
        return c.getEnvFrom() == null || c.getEnvFrom().isEmpty() ? Map.of() : SECRET;
    }

    @Test
    void aJobOnTheGpuNodePool() {
        KubernetesWorker worker = new KubernetesLauncher(client, gpuConfig()).launch(attempt("ftjob-abc123", 2,
                djlInImage(), 1));
        assertEquals("tf-ftjob-abc123-2", worker.jobName());
        assertEquals("tuneforge/tf-ftjob-abc123-2", worker.id());

        Job job = job("tf-ftjob-abc123-2");
        Map<String, String> labels = Map.of("app.kubernetes.io/part-of", "tuneforge",
                "app.kubernetes.io/name", "tuneforge-worker", "tuneforge.dev/job-id", "ftjob-abc123",
                "tuneforge.dev/attempt", "2");
        assertEquals(labels, job.getMetadata().getLabels());
        assertEquals("ftjob-abc123", job.getMetadata().getAnnotations().get("tuneforge.dev/job-id"));
        assertEquals(0, job.getSpec().getBackoffLimit());
        assertEquals(86_400L, job.getSpec().getActiveDeadlineSeconds());
        assertEquals(86_400, job.getSpec().getTtlSecondsAfterFinished());
        assertNull(job.getSpec().getCompletionMode());
        assertEquals(labels, job.getSpec().getTemplate().getMetadata().getLabels());

        PodSpec pod = job.getSpec().getTemplate().getSpec();
        assertEquals("Never", pod.getRestartPolicy());
        assertEquals("tuneforge-worker", pod.getServiceAccountName());
        assertEquals(300L, pod.getTerminationGracePeriodSeconds());
        assertEquals(Map.of("tuneforge.dev/pool", "gpu", "nvidia.com/gpu.product", "NVIDIA-H100-80GB-HBM3"),
                pod.getNodeSelector());
        assertEquals(List.of("nvidia.com/gpu/Exists/null/NoSchedule", "tuneforge.dev/pool/Equal/gpu/NoSchedule"),
                pod.getTolerations().stream().map(t -> t.getKey() + "/" + t.getOperator() + "/" + t.getValue() + "/"
                        + t.getEffect()).toList());
        assertEquals(List.of("work", "mc", "tmp", "dshm"), pod.getVolumes().stream().map(Volume::getName).toList());
        assertEquals("Memory", pod.getVolumes().get(3).getEmptyDir().getMedium());
        assertEquals("tuneforge-training", pod.getPriorityClassName());
        assertEquals("nvidia", pod.getRuntimeClassName());
        assertEquals(true, pod.getSecurityContext().getRunAsNonRoot());
        assertEquals(1000L, pod.getSecurityContext().getRunAsUser());
        assertEquals(1000L, pod.getSecurityContext().getRunAsGroup());
        assertEquals(1000L, pod.getSecurityContext().getFsGroup());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        for (Container c : java.util.stream.Stream.concat(pod.getInitContainers().stream(),
                pod.getContainers().stream()).toList()) {
            assertEquals(false, c.getSecurityContext().getAllowPrivilegeEscalation(), c.getName());
            assertEquals(true, c.getSecurityContext().getReadOnlyRootFilesystem(), c.getName());
            assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop(), c.getName());
            assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")), c.getName());
        }
        assertNull(pod.getSubdomain());

        Container w = container(pod.getContainers(), "worker");
        assertEquals(1, pod.getContainers().size());
        assertEquals(List.of("java", "--enable-native-access=ALL-UNNAMED", "-Xmx16g", "-Dai.djl.offline=true",
                "-Dai.djl.default_engine=PyTorch", "-cp", "/opt/tuneforge/worker/lib/*", "dev.tuneforge.worker.Main",
                "train", "--spec", "/work/spec.json", "--workdir", "/work"), w.getCommand());
        assertEquals("registry.example/tuneforge-worker:1.0", w.getImage());
        assertEquals("IfNotPresent", w.getImagePullPolicy());
        assertEquals("/work", w.getWorkingDir());
        assertEquals("8", env(w).get("OMP_NUM_THREADS"));
        assertEquals(new Quantity("2"), w.getResources().getRequests().get("nvidia.com/gpu"));
        assertEquals(new Quantity("2"), w.getResources().getLimits().get("nvidia.com/gpu"));
        assertEquals(new Quantity("8"), w.getResources().getRequests().get("cpu"));
        assertEquals(new Quantity("64Gi"), w.getResources().getRequests().get("memory"));
        assertEquals(new Quantity("64Gi"), w.getResources().getLimits().get("memory"));
        assertEquals(List.of("work:/work", "tmp:/tmp", "dshm:/dev/shm"),
                w.getVolumeMounts().stream().map(m -> m.getName() + ":" + m.getMountPath()).toList());
        assertTrue(w.getEnvFrom() == null || w.getEnvFrom().isEmpty(), "the worker gets no S3 credentials");

        assertEquals(List.of("stage", "sync"), pod.getInitContainers().stream().map(Container::getName).toList());
        Container stage = pod.getInitContainers().get(0);
        assertEquals("minio/mc", stage.getImage());
        assertNull(stage.getRestartPolicy());
        assertEquals("/bin/sh", stage.getCommand().get(0));
        assertEquals("""
                set -eu
                mc alias set s3 "$S3_ENDPOINT" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" > /dev/null
                printf '%s' "$TUNEFORGE_SPEC" > "$WORK/spec.json"
                mkdir -p "$WORK"/'models/base'
                mc mirror --quiet "s3/$S3_BUCKET"/'base-models/llama-1b/' "$WORK"/'models/base'
                mkdir -p "$WORK"/'data'
                mc cp --quiet "s3/$S3_BUCKET"/'projects/p1/datasets/d1/v2/train.jsonl' "$WORK"/'data/train.jsonl'
                mkdir -p "$WORK"/'resume/checkpoint-40'
                mc mirror --quiet "s3/$S3_BUCKET"/'projects/p1/jobs/ftjob-abc123/checkpoints/step-40/' \
                "$WORK"/'resume/checkpoint-40'
                """, command(stage).get(2));
        assertEquals("{\"base_model\":\"models/base\"}", env(stage).get("TUNEFORGE_SPEC"));
        assertEquals("http://minio.tuneforge:9000", env(stage).get("S3_ENDPOINT"));
        assertEquals("tuneforge", env(stage).get("S3_BUCKET"));
        assertEquals("tuneforge-s3", stage.getEnvFrom().get(0).getSecretRef().getName());

        Container sync = pod.getInitContainers().get(1);
        assertEquals("Always", sync.getRestartPolicy(), "a native sidecar");
        assertEquals(KubernetesManifests.syncScript(), command(sync).get(2));
        assertEquals("projects/p1/jobs/ftjob-abc123/checkpoints/", env(sync).get("CHECKPOINT_PREFIX"));
        assertEquals("projects/p1/jobs/ftjob-abc123/output/", env(sync).get("OUTPUT_PREFIX"));
        assertEquals("tuneforge-s3", sync.getEnvFrom().get(0).getSecretRef().getName());
        assertEquals(List.of("work:/work", "mc:/mc", "tmp:/tmp"),
                sync.getVolumeMounts().stream().map(m -> m.getName() + ":" + m.getMountPath()).toList());

        assertTrue(client.services().inNamespace(NS).list().getItems().isEmpty(), "no Service for one node");
    }

    @Test
    void whatTheSpecAndTheInputsSayReachesTheContainersAsWrittenNeverExpandedByTheKubelet() {
        // a prompt-tuning init text or any other free text in the spec, and S3 keys in the staging script, must not
        // pull the S3 Secret (or anything else) into what the worker reads
        String spec = "{\"init_text\": \"$(AWS_SECRET_ACCESS_KEY) costs $$5, $x and $(S3_BUCKET) or $(\"}";
        KubernetesAttempt attempt = new KubernetesAttempt("job-lit", 1, WorkerCommand.torch("python", 1), "train",
                spec, List.of(new KubernetesAttempt.Input("projects/p1/datasets/$(AWS_SECRET_ACCESS_KEY)/train.jsonl",
                        "data/train.jsonl")), "projects/p1/jobs/job-lit/checkpoints/",
                "projects/p1/jobs/job-lit/output/", 1);
        new KubernetesLauncher(client, config().build()).launch(attempt);
        PodSpec pod = job("tf-job-lit-1").getSpec().getTemplate().getSpec();
        Container stage = pod.getInitContainers().get(0);
        assertEquals(spec, env(stage).get("TUNEFORGE_SPEC"));
        assertEquals(new KubernetesManifests(config().build()).stagingScript(attempt), command(stage).get(2));
        assertFalse(command(stage).get(2).contains("the-secret"));
    }

    @Test
    void theTorchRuntimeRunsItsCommandLineAndACpuJobAsksForNoGpu() {
        new KubernetesLauncher(client, config().build()).launch(attempt("job-t", 1, WorkerCommand.torch("python", 4),
                1));
        PodSpec pod = job("tf-job-t-1").getSpec().getTemplate().getSpec();
        Container w = container(pod.getContainers(), "worker");
        assertEquals(List.of("python", "-m", "tuneforge_worker", "train", "--spec", "/work/spec.json", "--workdir",
                "/work"), w.getCommand());
        // the same fixed threads as the djl runtime, and every event line flushed as it is printed
        Map<String, String> env = env(w);
        assertEquals("4", env.get("OMP_NUM_THREADS"));
        assertEquals("4", env.get("MKL_NUM_THREADS"));
        assertEquals("FALSE", env.get("OMP_DYNAMIC"));
        assertEquals("1", env.get("PYTHONUNBUFFERED"));
        assertTrue(w.getResources().getRequests() == null || w.getResources().getRequests().isEmpty());
        assertTrue(w.getResources().getLimits() == null || w.getResources().getLimits().isEmpty());
        assertEquals(List.of("work", "mc", "tmp"), pod.getVolumes().stream().map(Volume::getName).toList());
        assertTrue(pod.getNodeSelector() == null || pod.getNodeSelector().isEmpty());
        assertNull(pod.getPriorityClassName(), "the cluster's default priority unless configured");
        assertNull(pod.getRuntimeClassName());
        assertEquals(1000L, pod.getSecurityContext().getRunAsUser(), "the worker image's user by default");
    }

    @Test
    void twoNodesAreAnIndexedJobWithAHeadlessServiceForTheRendezvous() {
        new KubernetesLauncher(client, gpuConfig()).launch(attempt("job-mn", 1, WorkerCommand.torch("python", 1), 2));
        Job job = job("tf-job-mn-1");
        assertEquals("Indexed", job.getSpec().getCompletionMode());
        assertEquals(2, job.getSpec().getCompletions());
        assertEquals(2, job.getSpec().getParallelism());
        assertEquals(0, job.getSpec().getBackoffLimit());
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        assertEquals("tf-job-mn-1", pod.getSubdomain());

        Container w = container(pod.getContainers(), "worker");
        assertEquals(List.of("torchrun", "--nnodes", "2", "--nproc_per_node", "2", "--node_rank", "$(NODE_RANK)",
                "--master_addr", "$(MASTER_ADDR)", "--master_port", "$(MASTER_PORT)", "-m", "tuneforge_worker",
                "train", "--spec", "/work/spec.json", "--workdir", "/work"), w.getCommand());
        Map<String, String> env = env(w);
        assertEquals("tf-job-mn-1-0.tf-job-mn-1", env.get("MASTER_ADDR"));
        assertEquals("1", env.get("OMP_NUM_THREADS"));
        assertEquals("1", env.get("PYTHONUNBUFFERED"));
        assertEquals("29500", env.get("MASTER_PORT"));
        assertEquals("2", env.get("NNODES"));
        EnvVar rank = w.getEnv().stream().filter(e -> e.getName().equals("NODE_RANK")).findFirst().orElseThrow();
        assertEquals("metadata.annotations['batch.kubernetes.io/job-completion-index']",
                rank.getValueFrom().getFieldRef().getFieldPath());
        // Kubernetes expands $(VAR) only from variables defined before the command runs: all four are defined
        List<String> names = w.getEnv().stream().map(EnvVar::getName).toList();
        assertTrue(names.containsAll(List.of("NODE_RANK", "MASTER_ADDR", "MASTER_PORT", "NNODES")));

        Service svc = client.services().inNamespace(NS).withName("tf-job-mn-1").get();
        assertEquals("None", svc.getSpec().getClusterIP());
        assertTrue(svc.getSpec().getPublishNotReadyAddresses());
        assertEquals(job.getMetadata().getLabels(), svc.getSpec().getSelector());
        assertEquals(29500, svc.getSpec().getPorts().get(0).getPort());
        assertEquals(job.getMetadata().getUid(), svc.getMetadata().getOwnerReferences().get(0).getUid());
        assertEquals("Job", svc.getMetadata().getOwnerReferences().get(0).getKind());

        assertThrows(IllegalArgumentException.class, () -> attempt("job-mn", 1, djlInImage(), 2));
    }

    @Test
    void namesAreDnsSafeAndUnique() {
        String longId = "Project_42/" + "x".repeat(80);
        String name = KubernetesManifests.jobName(longId, 12);
        assertTrue(name.length() <= 52, name);
        assertTrue(name.matches("[a-z]([-a-z0-9]*[a-z0-9])?"), name);
        assertFalse(name.equals(KubernetesManifests.jobName(longId + "y", 12)));
        assertFalse(KubernetesManifests.jobName("Job_A", 1).equals(KubernetesManifests.jobName("job-a", 1)));
        assertEquals("tf-job-a-1", KubernetesManifests.jobName("job-a", 1));
        String label = KubernetesManifests.labels(longId, 1).get(KubernetesManifests.JOB_ID);
        assertTrue(label.length() <= 63 && label.matches("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"), label);
    }

    @Test
    void eventsComeFromTheWorkersLogAndTheExitCodeFromThePodStatus() throws Exception {
        KubernetesWorker worker = new KubernetesLauncher(client, config().build())
                .launch(attempt("job-ev", 1, WorkerCommand.torch("python", 1), 1));
        String pod = createPod(worker, 0);
        setStatus(pod, running());
        String base = "/api/v1/namespaces/" + NS + "/pods/" + pod + "/log?pretty=false&container=worker";
        WorkerEvent started = new WorkerEvent.Started("train", "torch", "cuda", 4, 32, null, 4096, 0, 2);
        WorkerEvent progress = new WorkerEvent.Progress(1, 4, 0.25, 2.5, 1e-4, 1.1, 900, 3);
        WorkerEvent checkpoint = new WorkerEvent.Checkpoint(2, "/work/out/checkpoint-2");
        WorkerEvent finished = new WorkerEvent.Finished(4, Map.of("adapter", "/work/out/adapter"), Map.of());
        server.expect().get().withPath(base + "&timestamps=true&follow=true").andReturn(200,
                "2025-03-01T10:00:00.000000001Z " + EventLines.write(started) + "\n"
                + "2025-03-01T10:00:01.000000000Z not an event\n"
                + "2025-03-01T10:00:02.000000000Z " + EventLines.write(progress) + "\n").once();
        // the stream broke; reopened from the last line's time, which the server sends again
        server.expect().get().withPath(base + "&sinceTime=2025-03-01T10:00:02Z&timestamps=true&follow=true").andReturn(200,
                "2025-03-01T10:00:02.000000000Z " + EventLines.write(progress) + "\n"
                + "2025-03-01T10:00:03.500000000Z " + EventLines.write(checkpoint) + "\n"
                + "2025-03-01T10:00:04.000000000Z " + EventLines.write(finished) + "\n").once();

        List<WorkerEvent> events = new CopyOnWriteArrayList<>();
        CountDownLatch finishedSeen = new CountDownLatch(1);
        CompletableFuture<WorkerExit> code = CompletableFuture.supplyAsync(() -> {
            try {
                return worker.pumpEvents(e -> {
                    events.add(e);
                    if (e instanceof WorkerEvent.Finished) {
                        finishedSeen.countDown();
                    }
                });
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(finishedSeen.await(20, TimeUnit.SECONDS));
        assertFalse(code.isDone(), "the pod is still running: its sidecar has not uploaded everything yet");

        setStatus(pod, terminated(0, "Completed", "Succeeded"));
        completeJob(worker.jobName(), "Complete", null);
        assertEquals(ExitCode.DONE, code.get(20, TimeUnit.SECONDS).code());
        assertEquals(List.of(started, progress, checkpoint, finished), events);
        assertEquals(new KubernetesWorker.Exit(WorkerExit.of(ExitCode.DONE), "Completed", "worker"),
                worker.exit().orElseThrow());
    }

    @Test
    void aWorkerWhoseLogGoesQuietIsStoppedWithACheckpointAndTheReasonIsKept() throws Exception {
        KubernetesWorker worker = new KubernetesLauncher(client, config().stallTimeout(Duration.ofMillis(500)).build())
                .launch(attempt("job-quiet", 1, WorkerCommand.torch("python", 1), 1));
        String pod = createPod(worker, 0);
        setStatus(pod, running());
        WorkerEvent started = new WorkerEvent.Started("train", "torch", "cuda", 4, 32, null, 4096, 0, 2);
        server.expect().get().withPath("/api/v1/namespaces/" + NS + "/pods/" + pod
                        + "/log?pretty=false&container=worker&timestamps=true&follow=true")
                .andReturn(200, "2025-03-01T10:00:00Z " + EventLines.write(started) + "\n").once();
        // after that line the worker hangs: a reopened stream brings that line again (the server sends the line of
        // sinceTime's second) and nothing new
        server.expect().get().withPath("/api/v1/namespaces/" + NS + "/pods/" + pod
                        + "/log?pretty=false&container=worker&sinceTime=2025-03-01T10:00:00Z&timestamps=true&follow=true")
                .andReturn(200, "2025-03-01T10:00:00Z " + EventLines.write(started) + "\n").always();

        CompletableFuture<WorkerExit> code = CompletableFuture.supplyAsync(() -> {
            try {
                return worker.pumpEvents(e -> { });
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> jobAsTheKubeletSeesIt(worker.jobName()) == null);
        assertEquals(Optional.of("it printed nothing for 500 ms, so it was stopped"), worker.watchdogReason());
        assertFalse(code.isDone(), "stopped as terminate() stops it: SIGTERM, a checkpoint, then the pod ends");

        setStatus(pod, terminated(ExitCode.TERMINATED.status(), "Error", "Failed"));
        assertEquals(ExitCode.TERMINATED, code.get(20, TimeUnit.SECONDS).code());
    }

    @Test
    void aWorkerThatKeepsPrintingIsNeverStoppedForQuiet() throws Exception {
        KubernetesWorker worker = new KubernetesLauncher(client, config().stallTimeout(Duration.ofSeconds(30)).build())
                .launch(attempt("job-talks", 1, WorkerCommand.torch("python", 1), 1));
        String pod = createPod(worker, 0);
        setStatus(pod, terminated(0, "Completed", "Succeeded"));
        completeJob(worker.jobName(), "Complete", null);
        server.expect().get().withPath("/api/v1/namespaces/" + NS + "/pods/" + pod
                        + "/log?pretty=false&container=worker&timestamps=true&follow=true")
                .andReturn(200, "2025-03-01T10:00:00Z " + EventLines.write(new WorkerEvent.Finished(4, Map.of(),
                        Map.of())) + "\n").once();
        assertEquals(ExitCode.DONE, worker.pumpEvents(e -> { }).code());
        assertEquals(Optional.empty(), worker.watchdogReason());
        assertNotNull(jobAsTheKubeletSeesIt(worker.jobName()), "not deleted");
    }

    @Test
    void anOutOfMemoryKillIsKilledWithItsReason() throws Exception {
        KubernetesWorker worker = new KubernetesLauncher(client, config().build())
                .launch(attempt("job-oom", 1, WorkerCommand.torch("python", 1), 1));
        String pod = createPod(worker, 0);
        setStatus(pod, terminated(ExitCode.KILLED.status(), "OOMKilled", "Failed"));
        completeJob(worker.jobName(), "Failed", "BackoffLimitExceeded");
        server.expect().get().withPath("/api/v1/namespaces/" + NS + "/pods/" + pod
                        + "/log?pretty=false&container=worker&timestamps=true&follow=true")
                .andReturn(200, "2025-03-01T10:00:00Z " + EventLines.write(new WorkerEvent.Started("train", "torch", "cuda",
                        4, 32, null, 4096, 0)) + "\n").once();
        List<WorkerEvent> events = new ArrayList<>();
        assertEquals(ExitCode.KILLED, worker.pumpEvents(events::add).code());
        assertEquals(List.of(WorkerEvent.Started.class), events.stream().map(Object::getClass).toList());
        KubernetesWorker.Exit exit = worker.exit().orElseThrow();
        assertEquals("OOMKilled", exit.reason());
        assertEquals("worker exited with 137 (killed by signal 9): OOMKilled", exit.describe());
    }

    @Test
    void anEvictedPodAFailedStagingAndADeadlineAreTold() throws Exception {
        KubernetesLauncher launcher = new KubernetesLauncher(client, config().build());
        KubernetesWorker evicted = launcher.launch(attempt("job-ev1", 1, WorkerCommand.torch("python", 1), 1));
        String pod = createPod(evicted, 0);
        setStatus(pod, new PodStatusBuilder().withPhase("Failed").withReason("Evicted")
                .withMessage("The node was low on resource: memory.").build());
        completeJob(evicted.jobName(), "Failed", "BackoffLimitExceeded");
        assertTrue(evicted.waitFor(10, TimeUnit.SECONDS));
        assertEquals(new KubernetesWorker.Exit(WorkerExit.of(ExitCode.KILLED), "Evicted: The node was low on resource: memory.", null),
                evicted.exit().orElseThrow());

        KubernetesWorker staging = launcher.launch(attempt("job-st", 1, WorkerCommand.torch("python", 1), 1));
        String stagingPod = createPod(staging, 0);
        setStatus(stagingPod, new PodStatusBuilder().withPhase("Failed")
                .addNewInitContainerStatus().withName("stage").withNewState().withNewTerminated().withExitCode(1)
                .withReason("Error").endTerminated().endState().endInitContainerStatus().build());
        completeJob(staging.jobName(), "Failed", "BackoffLimitExceeded");
        assertEquals(new WorkerExit(1), staging.pumpEvents(e -> { }), "no log is read: the worker never started");
        assertEquals("stage", staging.exit().orElseThrow().container());

        KubernetesWorker deadline = launcher.launch(attempt("job-dl", 1, WorkerCommand.torch("python", 1), 1));
        setStatus(createPod(deadline, 0), terminated(ExitCode.TERMINATED.status(), "Error", "Failed"));
        completeJob(deadline.jobName(), "Failed", "DeadlineExceeded");
        assertTrue(deadline.waitFor(10, TimeUnit.SECONDS));
        assertEquals(new KubernetesWorker.Exit(WorkerExit.of(ExitCode.TERMINATED), "DeadlineExceeded", "worker"),
                deadline.exit().orElseThrow());

        KubernetesWorker running = launcher.launch(attempt("job-run", 1, WorkerCommand.torch("python", 1), 1));
        setStatus(createPod(running, 0), running());
        assertFalse(running.waitFor(200, TimeUnit.MILLISECONDS));
        assertTrue(running.exit().isEmpty());
    }

    @Test
    void aRestartedTrainerFindsItsJobInsteadOfLaunchingASecondOne() {
        KubernetesLauncherConfig config = config().build();
        KubernetesWorker first = new KubernetesLauncher(client, config).launch(attempt("job-re", 3,
                WorkerCommand.torch("python", 1), 1));

        KubernetesLauncher restarted = new KubernetesLauncher(client, config);
        assertEquals(first.jobName(), restarted.find("job-re", 3).orElseThrow().jobName());
        assertTrue(restarted.find("job-re", 2).isEmpty());
        assertTrue(restarted.find("job-other", 3).isEmpty());

        KubernetesWorker again = restarted.launch(attempt("job-re", 3, WorkerCommand.torch("python", 1), 1));
        assertEquals(first.jobName(), again.jobName());
        assertEquals(1, client.batch().v1().jobs().inNamespace(NS).withLabel("tuneforge.dev/job-id", "job-re")
                .list().getItems().size());
    }

    @Test
    void terminateDeletesTheJobInTheForegroundAndKillDeletesThePodsAtOnce() throws Exception {
        KubernetesLauncher launcher = new KubernetesLauncher(client, config().build());
        KubernetesWorker stopped = launcher.launch(attempt("job-stop", 1, WorkerCommand.torch("python", 1), 1));
        drainRequests();
        stopped.terminate();
        List<RecordedRequest> deletes = drainRequests().stream().filter(r -> r.getMethod().equals("DELETE")).toList();
        assertEquals(1, deletes.size());
        assertEquals("/apis/batch/v1/namespaces/" + NS + "/jobs/tf-job-stop-1", deletes.get(0).getPath());
        assertTrue(deletes.get(0).getUtf8Body().contains("\"propagationPolicy\":\"Foreground\""),
                deletes.get(0).getUtf8Body());
        assertFalse(deletes.get(0).getUtf8Body().contains("gracePeriodSeconds"));
        assertNull(job("tf-job-stop-1"));

        KubernetesWorker killed = launcher.launch(attempt("job-kill", 1, WorkerCommand.torch("python", 1), 1));
        String pod = createPod(killed, 0);
        drainRequests();
        killed.kill();
        List<RecordedRequest> kills = drainRequests().stream().filter(r -> r.getMethod().equals("DELETE")).toList();
        assertTrue(kills.stream().anyMatch(r -> r.getPath().equals("/apis/batch/v1/namespaces/" + NS
                + "/jobs/tf-job-kill-1") && r.getUtf8Body().contains("\"propagationPolicy\":\"Background\"")));
        assertTrue(kills.stream().anyMatch(r -> r.getPath().contains("/pods")
                && r.getUtf8Body().contains("\"gracePeriodSeconds\":1")), kills.toString());
        assertNull(job("tf-job-kill-1"));
        assertNull(client.pods().inNamespace(NS).withName(pod).get());
        assertTrue(killed.waitFor(10, TimeUnit.SECONDS));
        assertEquals(ExitCode.KILLED, killed.exit().orElseThrow().status().code());
    }

    /** Through a client of its own: this test's client may hold a connection the mock dropped after a log. */
    private Job jobAsTheKubeletSeesIt(String name) {
        try (KubernetesClient kubelet = server.createClient()) {
            return kubelet.batch().v1().jobs().inNamespace(NS).withName(name).get();
        }
    }

    /** What the Job controller would create: a pod with the template's labels (and index, for an Indexed Job). */
    private String createPod(KubernetesWorker worker, int index) {
        Job job = job(worker.jobName());
        String name = worker.jobName() + "-" + index + "-abcde";
        kubelet(k -> k.pods().inNamespace(NS).resource(new PodBuilder()
                .withNewMetadata().withName(name).withLabels(job.getSpec().getTemplate().getMetadata().getLabels())
                .addToAnnotations(KubernetesManifests.COMPLETION_INDEX, Integer.toString(index)).endMetadata()
                .withSpec(job.getSpec().getTemplate().getSpec())
                .build()).create());
        return name;
    }

    private void setStatus(String pod, PodStatus status) {
        kubelet(k -> k.pods().inNamespace(NS).withName(pod).editStatus(p -> new PodBuilder(p).withStatus(status)
                .build()));
    }

    private void completeJob(String name, String type, String reason) {
        kubelet(k -> k.batch().v1().jobs().inNamespace(NS).withName(name).editStatus(j -> new JobBuilder(j)
                .withNewStatus().addNewCondition().withType(type).withStatus("True").withReason(reason).endCondition()
                .endStatus().build()));
    }

    private static PodStatus running() {
        return new PodStatusBuilder().withPhase("Running").addNewContainerStatus().withName("worker").withNewState()
                .withNewRunning().endRunning().endState().endContainerStatus().build();
    }

    private static PodStatus terminated(int code, String reason, String phase) {
        return new PodStatusBuilder().withPhase(phase).addNewContainerStatus().withName("worker").withNewState()
                .withNewTerminated().withExitCode(code).withReason(reason).endTerminated().endState()
                .endContainerStatus().build();
    }

    private List<RecordedRequest> drainRequests() throws InterruptedException {
        List<RecordedRequest> requests = new ArrayList<>();
        RecordedRequest r;
        while ((r = server.takeRequest(200, TimeUnit.MILLISECONDS)) != null) {
            requests.add(r);
        }
        return requests;
    }
}
