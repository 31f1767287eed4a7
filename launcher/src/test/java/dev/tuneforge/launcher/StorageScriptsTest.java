package dev.tuneforge.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shell scripts of the Kubernetes pod, run here by /bin/sh with a fake {@code mc} that maps
 * {@code s3/<bucket>/<key>} to a directory: staging copies what the attempt names, the sync sidecar uploads
 * complete directories with the manifest DirectorySync reads.
 */
class StorageScriptsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path s3;
    private Path work;

    private ProcessBuilder sh(String script, Map<String, String> env) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        try (InputStream in = getClass().getResourceAsStream("fake-mc.sh")) {
            Files.copy(in, bin.resolve("mc"), StandardCopyOption.REPLACE_EXISTING);
        }
        bin.resolve("mc").toFile().setExecutable(true);
        s3 = Files.createDirectories(dir.resolve("s3"));
        work = Files.createDirectories(dir.resolve("work"));
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true)
                .redirectOutput(dir.resolve("script.log").toFile());
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().putAll(Map.of("FAKE_S3", s3.toString(), "WORK", work.toString(), "S3_BUCKET", "tuneforge",
                "S3_ENDPOINT", "http://minio:9000", "AWS_ACCESS_KEY_ID", "key", "AWS_SECRET_ACCESS_KEY", "secret"));
        pb.environment().putAll(env);
        return pb;
    }

    @Test
    void stagingWritesTheSpecAndCopiesObjectsAndPrefixes() throws Exception {
        KubernetesLauncherConfig config = KubernetesLauncherConfig.builder("ns", "worker:1")
                .s3("http://minio:9000", "tuneforge", "s3-credentials").build();
        String spec = "{\"base_model\": \"models/it's\", \"data\": {\"train\": \"data/train.jsonl\"}}";
        KubernetesAttempt attempt = new KubernetesAttempt("job-1", 1, WorkerCommand.torch("python", 1), "train", spec,
                List.of(new KubernetesAttempt.Input("base-models/tiny/", "models/it's"),
                        new KubernetesAttempt.Input("projects/p/datasets/d/v1/train.jsonl", "data/train.jsonl"),
                        new KubernetesAttempt.Input("projects/p/top.txt", "top.txt")),
                null, null, 1);
        ProcessBuilder pb = sh(new KubernetesManifests(config).stagingScript(attempt), Map.of("TUNEFORGE_SPEC", spec));
        Files.createDirectories(s3.resolve("tuneforge/base-models/tiny/sub"));
        Files.writeString(s3.resolve("tuneforge/base-models/tiny/config.json"), "{}");
        Files.writeString(s3.resolve("tuneforge/base-models/tiny/sub/w.bin"), "weights");
        Files.createDirectories(s3.resolve("tuneforge/projects/p/datasets/d/v1"));
        Files.writeString(s3.resolve("tuneforge/projects/p/datasets/d/v1/train.jsonl"), "{\"messages\":[]}\n");
        Files.writeString(s3.resolve("tuneforge/projects/p/top.txt"), "top");

        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("script.log")));
        assertEquals(spec, Files.readString(work.resolve("spec.json")));
        assertEquals("{}", Files.readString(work.resolve("models/it's/config.json")));
        assertEquals("weights", Files.readString(work.resolve("models/it's/sub/w.bin")));
        assertEquals("{\"messages\":[]}\n", Files.readString(work.resolve("data/train.jsonl")));
        assertEquals("top", Files.readString(work.resolve("top.txt")));
    }

    @Test
    void stagingStopsAtAMissingObject() throws Exception {
        KubernetesLauncherConfig config = KubernetesLauncherConfig.builder("ns", "worker:1")
                .s3("http://minio:9000", "tuneforge", "s3-credentials").build();
        KubernetesAttempt attempt = new KubernetesAttempt("job-1", 1, WorkerCommand.torch("python", 1), "train", "{}",
                List.of(new KubernetesAttempt.Input("missing.jsonl", "data/train.jsonl")), null, null, 1);
        Process p = sh(new KubernetesManifests(config).stagingScript(attempt), Map.of("TUNEFORGE_SPEC", "{}")).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertTrue(p.exitValue() != 0);
    }

    @Test
    void syncUploadsCompleteDirectoriesWithTheirManifestAndAFinalPassOnSigterm() throws Exception {
        ProcessBuilder pb = sh(KubernetesManifests.syncScript(), Map.of("SYNC_STATE", dir.resolve("state").toString(),
                "SYNC_INTERVAL", "1", "CHECKPOINT_PREFIX", "projects/p/jobs/j/checkpoints/",
                "OUTPUT_PREFIX", "projects/p/jobs/j/output/"));
        Path out = Files.createDirectories(work.resolve("out"));
        Path checkpoint = Files.createDirectories(out.resolve("checkpoint-2/adapter"));
        Files.writeString(checkpoint.resolve("adapter_model.safetensors"), "weights at step 2");
        Files.writeString(out.resolve("checkpoint-2/trainer_checkpoint.json"), "{\"step\":2}");
        Files.writeString(out.resolve("checkpoint-2/.hidden"), "h");
        Files.createDirectories(out.resolve(".checkpoint-4.tmp"));
        Files.writeString(out.resolve(".checkpoint-4.tmp/half.bin"), "half written");

        Process p = pb.start();
        try {
            Path manifest2 = s3.resolve("tuneforge/projects/p/jobs/j/checkpoints/step-2/manifest.json");
            waitFor(manifest2);
            JsonNode m = JSON.readTree(manifest2.toFile());
            assertEquals(digestOf(out.resolve("checkpoint-2")), m.get("sha256").asText());
            List<String> paths = new ArrayList<>();
            m.get("files").forEach(f -> paths.add(f.get("path").asText()));
            assertEquals(List.of(".hidden", "adapter/adapter_model.safetensors", "trainer_checkpoint.json"), paths);
            assertEquals(17, m.get("files").get(1).get("size").asInt());
            assertEquals("weights at step 2", Files.readString(
                    s3.resolve("tuneforge/projects/p/jobs/j/checkpoints/step-2/adapter/adapter_model.safetensors")));

            // the worker's last writes, just before it exits: a checkpoint and the output, renamed into place
            Files.createDirectories(out.resolve(".adapter.tmp"));
            Files.writeString(out.resolve(".adapter.tmp/adapter_model.safetensors"), "final");
            Files.move(out.resolve(".adapter.tmp"), out.resolve("adapter"));
            Files.createDirectories(out.resolve("checkpoint-6"));
            Files.writeString(out.resolve("checkpoint-6/w"), "6");
            Files.writeString(out.resolve("trainer_state.json"), "{\"global_step\":6}");
            p.destroy(); // SIGTERM, as Kubernetes stops a sidecar
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), Files.readString(dir.resolve("script.log")));
        } finally {
            p.destroyForcibly();
        }
        Path output = s3.resolve("tuneforge/projects/p/jobs/j/output");
        assertEquals("final", Files.readString(output.resolve("adapter/adapter_model.safetensors")));
        assertEquals(digestOf(out.resolve("adapter")),
                JSON.readTree(output.resolve("adapter/manifest.json").toFile()).get("sha256").asText());
        assertEquals("{\"global_step\":6}", Files.readString(output.resolve("trainer_state/trainer_state.json")));
        assertTrue(Files.exists(s3.resolve("tuneforge/projects/p/jobs/j/checkpoints/step-6/manifest.json")));
        assertFalse(Files.exists(s3.resolve("tuneforge/projects/p/jobs/j/checkpoints/step-4")));
        // step 2 was uploaded once, not again on every pass
        long step2Uploads = Files.readAllLines(Path.of(s3 + ".calls")).stream()
                .filter(l -> l.contains("step-2/manifest.json")).count();
        assertEquals(1, step2Uploads);
    }

    @Test
    void syncUploadsAnEvaluationsResultsOnlyOnceTheyAreComplete() throws Exception {
        ProcessBuilder pb = sh(KubernetesManifests.syncScript(), Map.of("SYNC_STATE", dir.resolve("state").toString(),
                "SYNC_INTERVAL", "1", "OUTPUT_PREFIX", "projects/p/eval/cache/c/ds-v1/"));
        Path results = Files.createDirectories(work.resolve("out/results"));
        Files.writeString(results.resolve("results.jsonl.partial"), "{\"index\":0}\n");
        Process p = pb.start();
        try {
            Path manifest = s3.resolve("tuneforge/projects/p/eval/cache/c/ds-v1/results/manifest.json");
            // the worker is still scoring: nothing goes up for two passes
            org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(2500))
                    .atMost(java.time.Duration.ofSeconds(10)).until(() -> !Files.exists(manifest));
            Files.writeString(results.resolve("results.jsonl.partial"), "{\"index\":0}\n{\"index\":1}\n",
                    java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(results.resolve("results.jsonl.partial"), results.resolve("results.jsonl"));
            waitFor(manifest);
            assertEquals(digestOf(results), JSON.readTree(manifest.toFile()).get("sha256").asText());
            assertEquals("{\"index\":0}\n{\"index\":1}\n", Files.readString(
                    s3.resolve("tuneforge/projects/p/eval/cache/c/ds-v1/results/results.jsonl")));
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), Files.readString(dir.resolve("script.log")));
        } finally {
            p.destroyForcibly();
        }
    }

    private static void waitFor(Path file) {
        org.awaitility.Awaitility.await(file + " to appear").atMost(java.time.Duration.ofSeconds(30))
                .until(() -> Files.exists(file));
    }

    /** DirectorySync's digest: sha256 of the sorted "path sha256\n" lines of the directory's files. */
    private static String digestOf(Path root) throws Exception {
        List<String> lines = new ArrayList<>();
        try (var walk = Files.walk(root)) {
            for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                String rel = root.relativize(f).toString();
                String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
                lines.add(rel + " " + sha + "\n");
            }
        }
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        lines.stream().sorted().forEach(l -> md.update(l.getBytes(StandardCharsets.UTF_8)));
        return HexFormat.of().formatHex(md.digest());
    }
}
