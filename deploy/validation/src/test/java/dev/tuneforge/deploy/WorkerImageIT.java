package dev.tuneforge.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.WorkerEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The djl worker's image ({@link WorkerImage}; runs in {@code verify}, after the worker was packaged) is what the
 * services' Kubernetes launcher expects (its user, its {@code java} and classpath, DJL offline with its caches in
 * {@code /tmp}) and, run by its own loader, libc and Java runtime, trains on PyTorch's native libraries from the
 * image alone.
 */
class WorkerImageIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WORK = Path.of("target/images");

    @Test
    void theImageTrainsTheTinyModelOnPyTorchAsTheLauncherRunsIt() throws Exception {
        long start = System.nanoTime();
        ImageLayers.Built built = WorkerImage.build(JavaRuntime.link(WORK.resolve("jre")), WORK);
        // how long the ~450 MB of native library takes to pack, for deploy/images/README.md (not asserted)
        System.out.printf("WorkerImageIT: %s (%d MB) written in %d s%n", built.tar(),
                Files.size(built.tar()) >> 20, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));

        ImageTar image = ImageTar.unpack(built.tar(), WORK.resolve(WorkerImage.NAME + "-archive"));
        assertEquals(WorkerImage.REFERENCE, image.repoTag());
        JsonNode config = image.config();
        assertEquals("1000:1000", config.get("User").asText(), "the worker pods' runAsUser");
        assertEquals(WorkerCommand.djl("/opt/java/bin/java", "/opt/tuneforge/worker/lib/*", 1, "2g").prefix(),
                image.entrypoint(), "the launcher's djl command");
        Map<String, String> env = image.env();
        assertEquals("/tmp/djl", env.get("DJL_CACHE_DIR"));
        assertEquals("/tmp/djl", env.get("ENGINE_CACHE_DIR"));
        assertEquals("true", env.get("ai.djl.offline"));
        assertEquals("1", env.get("OMP_NUM_THREADS"));
        JsonNode labels = config.get("Labels");
        assertEquals("tuneforge djl worker", labels.get("org.opencontainers.image.title").asText());
        assertEquals("0.1.0", labels.get("org.opencontainers.image.version").asText());
        assertEquals("/usr/share/sbom/worker-djl.spdx.json", labels.get("dev.tuneforge.sbom").asText());

        Set<String> inImage = image.paths();
        String launcherJava = WorkerImage.launcherDefault("djlJava");
        assertTrue(List.of(env.get("PATH").split(":")).stream()
                        .anyMatch(dir -> inImage.contains(dir.substring(1) + "/" + launcherJava)),
                "a Job's command starts with '" + launcherJava + "', which the image's PATH finds: " + env);
        for (String path : List.of("lib64/ld-linux-x86-64.so.2", "lib/x86_64-linux-gnu/libc.so.6",
                "usr/lib/x86_64-linux-gnu/libstdc++.so.6", "lib/x86_64-linux-gnu/libgcc_s.so.1", "etc/passwd",
                "usr/share/sbom/worker-djl.spdx.json")) {
            assertTrue(inImage.contains(path), "the image has no /" + path);
        }
        Set<String> jars = inImage.stream().filter(p -> p.startsWith("opt/tuneforge/worker/lib/"))
                .map(p -> p.substring(p.lastIndexOf('/') + 1)).collect(Collectors.toSet());
        for (String jar : List.of("tuneforge-worker-", "pytorch-native-cpu-", "pytorch-jni-", "pytorch-engine-")) {
            assertTrue(jars.stream().anyMatch(j -> j.startsWith(jar)), jar + " not in " + jars);
        }

        // one training step of the tiny model, run as a Job would run the entrypoint: the image's environment
        // only, DJL extracting libtorch from the image's jar into the image's /tmp
        Path root = image.rootfs(WORK.resolve(WorkerImage.NAME + "-rootfs").toAbsolutePath());
        image.delete();
        Path workdir = Files.createDirectories(root.resolve("work"));
        Path spec = trainSpec(workdir);
        List<String> rooted = List.of("/opt/tuneforge/", "/tmp/");
        List<String> command = new ArrayList<>(image.entrypointIn(root, rooted));
        command.addAll(List.of("train", "--spec", spec.toString(), "--workdir", workdir.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.resolve("tmp").toFile())
                .redirectError(WORK.resolve(WorkerImage.NAME + "-train.log").toFile());
        builder.environment().clear();
        env.forEach((k, v) -> builder.environment().put(k, ImageTar.inRoot(root, v, rooted)));
        Process worker = builder.start();
        String stdout = new String(worker.getInputStream().readAllBytes());
        assertTrue(worker.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, worker.exitValue(), stdout + Files.readString(WORK.resolve(WorkerImage.NAME + "-train.log")));
        List<WorkerEvent> events = stdout.lines().map(l -> EventLines.parse(l).orElseThrow(
                () -> new AssertionError("not an event on stdout: " + l))).toList();
        WorkerEvent.Started started = assertInstanceOf(WorkerEvent.Started.class, events.getFirst());
        assertEquals("djl", started.runtime());
        assertEquals(1, events.stream().filter(WorkerEvent.Progress.class::isInstance).count(), events.toString());
        assertInstanceOf(WorkerEvent.Finished.class, events.getLast());
        try (var cache = Files.walk(root.resolve("tmp/djl"))) {
            assertTrue(cache.anyMatch(f -> f.getFileName().toString().equals("libtorch_cpu.so")),
                    "libtorch came from the image's jar into its /tmp");
        }
        ImageTar.deleteTree(root);

        JsonNode sbom = JSON.readTree(built.sbom().toFile());
        Set<String> names = new HashSet<>();
        sbom.get("packages").forEach(p -> names.add(p.get("name").asText()));
        assertTrue(names.containsAll(Set.of("libc6", "libstdc++6", "libgcc-s1", "tuneforge-worker")), names.toString());
        // DJL's jars carry no pom.properties: they are listed by file name
        assertTrue(names.stream().anyMatch(n -> n.startsWith("pytorch-native-cpu-")), names.toString());
        assertTrue(names.stream().anyMatch(n -> n.contains("Java runtime")), names.toString());
    }

    /** The tiny model, a few chat examples, one LoRA step. */
    private static Path trainSpec(Path workdir) throws Exception {
        TinyLlamaWriter.write(workdir.resolve("base"), TinyLlamaWriter.Spec.small());
        Files.write(workdir.resolve("train.jsonl"), IntStream.range(0, 4).mapToObj(i -> "{\"messages\": ["
                + "{\"role\": \"user\", \"content\": \"Add " + i + " and 2\"}, "
                + "{\"role\": \"assistant\", \"content\": \"" + (i + 2) + "\"}]}").toList());
        ObjectNode spec = JSON.createObjectNode();
        spec.put("base_model", "base");
        spec.putObject("data").put("train", "train.jsonl").put("format", "chat");
        spec.putObject("method").put("type", "lora").put("r", 4).put("alpha", 8)
                .putArray("target_modules").add("q_proj").add("v_proj");
        spec.putObject("hyperparameters").put("epochs", 1).put("max_steps", 1).put("batch_size", 2)
                .put("learning_rate", 1e-2).put("seed", 7);
        spec.put("save_steps", 100).put("output_dir", "out");
        return Files.writeString(workdir.resolve("spec.json"), spec.toPrettyString());
    }
}
