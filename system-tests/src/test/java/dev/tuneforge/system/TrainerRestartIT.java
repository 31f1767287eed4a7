package dev.tuneforge.system;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.platform.EmbeddedStack;
import dev.tuneforge.platform.Ports;
import dev.tuneforge.platform.ServiceProcess;
import dev.tuneforge.platform.ServiceProcess.Service;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * trainer-service killed with SIGKILL in the middle of a job and started again: the new instance takes the
 * job over when the dead one's lease runs out, stops the orphaned worker, resumes from the last checkpoint
 * in S3, and the job finishes exactly once with no gap in its loss curve wider than a checkpoint interval.
 */
class TrainerRestartIT {

    private static final Duration WAIT = Duration.ofMinutes(4);
    private static final String PROJECT = "prj_restart";
    private static final int SAVE_STEPS = 10;

    private static EmbeddedStack stack;
    private static Path repo;
    private static Path logs;
    private static ServiceProcess trainer;

    @BeforeAll
    static void startStack() throws Exception {
        repo = Path.of(System.getProperty("tuneforge.repo", "..")).toAbsolutePath().normalize();
        logs = Files.createDirectories(repo.resolve("system-tests/target/service-logs"));
        stack = EmbeddedStack.ephemeral().start();
    }

    @AfterAll
    static void stop() {
        if (trainer != null && trainer.isAlive()) {
            trainer.stop();
        }
        if (stack != null) {
            stack.stop();
        }
    }

    private static ServiceProcess startTrainer(String instance) {
        Service service = Service.named("trainer-service").onPort(Ports.freePort());
        ServiceProcess p = ServiceProcess.start(service, repo, stack, logs.resolve(instance).toFile().mkdirs()
                ? logs.resolve(instance) : logs.resolve(instance), Map.of(
                "tuneforge.trainer.instance-id", instance,
                "tuneforge.trainer.lease", "6s",
                "tuneforge.trainer.worker.djl-home", repo.resolve("worker/target").toString(),
                "tuneforge.trainer.work-dir", repo.resolve("system-tests/target/trainer-work").toString()));
        p.awaitReady(Duration.ofMinutes(2));
        return p;
    }

    @Test
    void aKilledTrainerServiceIsReplacedAndTheJobFinishesOnceFromItsLastCheckpoint() throws Exception {
        MinioClient s3 = MinioClient.builder().endpoint(stack.s3Endpoint())
                .credentials(stack.s3AccessKey(), stack.s3SecretKey()).region(EmbeddedStack.REGION).build();
        Path model = TinyLlamaWriter.write(Files.createTempDirectory("tiny"), TinyLlamaWriter.Spec.small());
        try (Stream<Path> files = Files.list(model)) {
            for (Path f : files.toList()) {
                put(s3, "base-models/tiny-restart/" + f.getFileName(), Files.readAllBytes(f));
            }
        }
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            jsonl.append("{\"messages\":[{\"role\":\"user\",\"content\":\"Name ").append(i % 7)
                    .append("\"},{\"role\":\"assistant\",\"content\":\"{\\\"n\\\": ").append(i % 7).append("}\"}]}\n");
        }
        String prefix = "projects/" + PROJECT + "/datasets/ds_r/v1/";
        put(s3, prefix + "train.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8));

        TopicClient topics = new TopicClient(stack.kafkaBootstrapServers());
        topics.publish(new DatasetReady(PROJECT, "ds_r", 1, null, "chat", "c1", prefix + "train.jsonl", "t", 40,
                prefix + "validation.jsonl", "v", 0, 40, new TokenStats(1, 1, 1, 1, 1, 0), prefix + "report.json", null),
                "dataset-service");
        trainer = startTrainer("trainer-a");
        String jobId = "job_restart";
        topics.publish(new TrainingRequested(PROJECT, jobId, "tiny-restart", "ds_r", 1, "lora",
                Map.of("max_steps", 400, "batch_size", 8, "save_steps", SAVE_STEPS, "lora_r", 4), "bot", "test", null),
                "gateway");

        await().atMost(WAIT).until(() -> !topics.events(CheckpointSaved.class, jobId).isEmpty());
        trainer.kill();

        trainer = startTrainer("trainer-b");
        await().atMost(WAIT).until(() -> !topics.events(TrainingFinished.class, jobId).isEmpty());
        // A second finish, if there were one, would follow within the relay's interval: none for 3 s.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> topics.events(TrainingFinished.class, jobId).size() == 1);

        List<TrainingStarted> started = topics.events(TrainingStarted.class, jobId);
        assertEquals(2, started.size(), started.toString());
        TrainingStarted takeover = started.get(1);
        assertEquals(2, takeover.attempt());
        assertNotNull(takeover.resumedFromStep());
        assertTrue(takeover.retryReason().contains("trainer instance trainer-a stopped renewing its lease"),
                takeover.retryReason());

        TreeSet<Long> steps = new TreeSet<>();
        topics.events(TrainingProgress.class, jobId).forEach(p -> steps.add(p.step()));
        long previous = 0;
        for (long s : steps) {
            assertTrue(s - previous <= SAVE_STEPS, "gap " + previous + " → " + s);
            previous = s;
        }
        assertEquals(400L, steps.last());
    }

    private static void put(MinioClient s3, String key, byte[] bytes) throws Exception {
        s3.putObject(PutObjectArgs.builder().bucket(EmbeddedStack.BUCKET).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1).build());
    }
}
