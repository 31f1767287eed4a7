package dev.tuneforge.platform.test;

import dev.tuneforge.launcher.KubernetesManifests;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * For tests of a service with the Kubernetes launcher (trainer-service, eval-service). What the cluster would do for a worker Job, played against the API mock server: the Job controller's pod, the
 * kubelet's pod status and the worker container's log, and the sync sidecar's uploads to S3. Each API call goes
 * through a client of its own: the mock server drops kept-alive connections after a log stream.
 */
public final class Kubelet {

    public static final String NAMESPACE = "tuneforge";

    private final KubernetesMockServer server;

    public Kubelet(KubernetesMockServer server) {
        this.server = server;
    }

    private <T> T call(Function<KubernetesClient, T> action) {
        try (KubernetesClient client = server.createClient()) {
            return action.apply(client);
        }
    }

    private void act(Consumer<KubernetesClient> action) {
        call(c -> {
            action.accept(c);
            return null;
        });
    }

    /** Every worker Job in the namespace, oldest first. */
    public List<Job> all() {
        return call(c -> c.batch().v1().jobs().inNamespace(NAMESPACE).withLabel(KubernetesManifests.PART_OF,
                "tuneforge").list().getItems().stream()
                .sorted(java.util.Comparator.comparing(j -> j.getMetadata().getCreationTimestamp(),
                        java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder())))
                .toList());
    }

    /** The Jobs of a training job, every attempt. */
    public List<Job> jobs(String jobId) {
        return call(c -> c.batch().v1().jobs().inNamespace(NAMESPACE).withLabel(KubernetesManifests.JOB_ID, jobId)
                .list().getItems());
    }

    /** The Job controller creates the pod, the kubelet starts its worker container; returns the pod's name. */
    public String startPod(Job job) {
        String name = job.getMetadata().getName() + "-0-abcde";
        act(c -> c.pods().inNamespace(NAMESPACE).resource(new PodBuilder()
                .withNewMetadata().withName(name).withLabels(job.getSpec().getTemplate().getMetadata().getLabels())
                .addToAnnotations(KubernetesManifests.COMPLETION_INDEX, "0").endMetadata()
                .withSpec(job.getSpec().getTemplate().getSpec())
                .build()).create());
        act(c -> c.pods().inNamespace(NAMESPACE).withName(name).editStatus(p -> new PodBuilder(p)
                .withStatus(new PodStatusBuilder().withPhase("Running").addNewContainerStatus().withName("worker")
                        .withNewState().withNewRunning().endRunning().endState().endContainerStatus().build())
                .build()));
        return name;
    }

    /** The worker exits with {@code code}; the pod is over and the Job complete (or failed). */
    public void exit(String pod, String jobName, int code) {
        act(c -> c.pods().inNamespace(NAMESPACE).withName(pod).editStatus(p -> new PodBuilder(p)
                .withStatus(new PodStatusBuilder().withPhase(code == 0 ? "Succeeded" : "Failed")
                        .addNewContainerStatus().withName("worker").withNewState().withNewTerminated()
                        .withExitCode(code).withReason(code == 0 ? "Completed" : "Error").endTerminated().endState()
                        .endContainerStatus().build())
                .build()));
        act(c -> c.batch().v1().jobs().inNamespace(NAMESPACE).withName(jobName).editStatus(j -> new JobBuilder(j)
                .withNewStatus().addNewCondition().withType(code == 0 ? "Complete" : "Failed").withStatus("True")
                .endCondition().endStatus().build()));
    }

    /**
     * Serves the worker container's log once: {@code lines} as the kubelet sends them with timestamps; from the
     * start ({@code since} null) or as reopened after the line at {@code since}.
     */
    public void serveLog(String pod, String since, List<String> lines) {
        String path = "/api/v1/namespaces/" + NAMESPACE + "/pods/" + pod + "/log?pretty=false&container=worker"
                + (since == null ? "" : "&sinceTime=" + since) + "&timestamps=true&follow=true";
        server.expect().get().withPath(path).andReturn(200, String.join("\n", lines) + "\n").once();
    }

    /** One log line at second {@code second} of the run. */
    public static String line(int second, String json) {
        return time(second) + " " + json;
    }

    public static String time(int second) {
        return String.format("2025-03-01T10:00:%02dZ", second);
    }

    /**
     * The sync sidecar uploads a directory the worker wrote, ending with its manifest ({@code upload} is the
     * service's {@code DirectorySync::upload}, which writes the same layout as the sidecar's script); returns the
     * digest.
     */
    public static String sidecarUploads(BiFunction<Path, String, String> upload, String key,
                                        Map<String, String> files) throws Exception {
        Path dir = Files.createTempDirectory("pod-out");
        for (var f : files.entrySet()) {
            Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
        }
        return upload.apply(dir, key);
    }
}
