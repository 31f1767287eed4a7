package dev.tuneforge.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A service's settings into the launcher's configuration, and slots, with errors that name the property. */
class KubernetesSettingsTest {

    /** The settings as a service's config mapping would give them, defaults included. */
    private record Settings(Optional<String> image, Optional<List<String>> nodeSelector,
                            Optional<List<String>> tolerations) implements KubernetesSettings {
        public Optional<String> masterUrl() { return Optional.empty(); }
        public Optional<String> namespace() { return Optional.empty(); }
        public Optional<String> imagePullPolicy() { return Optional.empty(); }
        public Optional<String> serviceAccount() { return Optional.empty(); }
        public int gpus() { return 1; }
        public int nodes() { return 1; }
        public Optional<String> cpu() { return Optional.of("8"); }
        public Optional<String> memory() { return Optional.empty(); }
        public Optional<String> s3Endpoint() { return Optional.empty(); }
        public String s3CredentialsSecret() { return "tuneforge-s3"; }
        public String stagingImage() { return "minio/mc"; }
        public Optional<Duration> activeDeadline() { return Optional.of(Duration.ofHours(2)); }
        public Duration ttlAfterFinished() { return Duration.ofDays(1); }
        public Duration terminationGracePeriod() { return Duration.ofSeconds(300); }
        public int rendezvousPort() { return 29500; }
        public Duration syncInterval() { return Duration.ofMillis(200); }
        public Duration pollInterval() { return Duration.ofSeconds(2); }
        public Duration uploadWait() { return Duration.ofMinutes(2); }
        public String djlJava() { return "java"; }
        public String djlClasspath() { return "/opt/tuneforge/worker/lib/*"; }
        public String torchPython() { return "python"; }
        public Optional<String> priorityClassName() { return Optional.of("tuneforge-training"); }
        public Optional<String> runtimeClassName() { return Optional.of("nvidia"); }
        public long runAsUser() { return 1000; }
        public Duration stallTimeout() { return Duration.ofMinutes(30); }
    }

    @Test
    void settingsBecomeTheLauncherConfiguration() {
        KubernetesLauncherConfig c = KubernetesLauncherConfig.from(new Settings(Optional.of("worker:1"),
                Optional.of(List.of("tuneforge.dev/pool = gpu")),
                Optional.of(List.of("nvidia.com/gpu:NoSchedule", "pool=gpu:NoExecute", "dedicated"))),
                "tuneforge.eval.kubernetes", "ml", "http://s3:9000", "bucket");
        assertEquals("ml", c.namespace());
        assertEquals("worker:1", c.image());
        assertEquals(Map.of("tuneforge.dev/pool", "gpu"), c.nodeSelector());
        assertEquals(List.of(new KubernetesLauncherConfig.Toleration("nvidia.com/gpu", "Exists", null, "NoSchedule"),
                new KubernetesLauncherConfig.Toleration("pool", "Equal", "gpu", "NoExecute"),
                new KubernetesLauncherConfig.Toleration("dedicated", "Exists", null, null)), c.tolerations());
        assertEquals("http://s3:9000", c.s3Endpoint());
        assertEquals(7200L, c.activeDeadlineSeconds());
        assertEquals(1, c.syncIntervalSeconds(), "at least a second");
        assertEquals("tuneforge-training", c.priorityClassName());
        assertEquals("nvidia", c.runtimeClassName());
        assertEquals(1000, c.runAsUser());
        assertEquals(Duration.ofMinutes(30), c.stallTimeout());
    }

    @Test
    void missingOrMalformedSettingsNameTheirProperty() {
        var noImage = assertThrows(IllegalStateException.class, () -> KubernetesLauncherConfig.from(
                new Settings(Optional.empty(), Optional.empty(), Optional.empty()), "tuneforge.eval.kubernetes", "ml",
                "http://s3:9000", "b"));
        assertTrue(noImage.getMessage().contains("tuneforge.eval.kubernetes.image"), noImage.getMessage());
        var selector = assertThrows(IllegalStateException.class, () -> KubernetesLauncherConfig.from(
                new Settings(Optional.of("w"), Optional.of(List.of("gpu")), Optional.empty()),
                "tuneforge.trainer.kubernetes", "ml", "http://s3:9000", "b"));
        assertEquals("tuneforge.trainer.kubernetes.node-selector: expected key=value, got 'gpu'", selector.getMessage());
        var toleration = assertThrows(IllegalStateException.class, () -> KubernetesLauncherConfig.Toleration.parse(
                "=x:NoSchedule", "p.tolerations"));
        assertTrue(toleration.getMessage().startsWith("p.tolerations: expected"), toleration.getMessage());
    }

    @Test
    void slotsAreNamesWithRuntimes() {
        assertEquals(List.of("cpu-0=djl", "gpu-0=torch", "gpu-1=djl"), WorkerSlots.parse(
                List.of("cpu-0:djl", " gpu-0 : torch", "gpu-1"), "s").entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).toList());
        var runtime = assertThrows(IllegalStateException.class, () -> WorkerSlots.parse(List.of("cpu-0:jax"),
                "tuneforge.eval.slots"));
        assertTrue(runtime.getMessage().startsWith("tuneforge.eval.slots: expected name:runtime"), runtime.getMessage());
        var twice = assertThrows(IllegalStateException.class, () -> WorkerSlots.parse(List.of("a:djl", "a:torch"),
                "s"));
        assertEquals("s: slot 'a' is named twice", twice.getMessage());
    }
}
