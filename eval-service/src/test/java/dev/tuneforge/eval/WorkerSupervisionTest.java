package dev.tuneforge.eval;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.eval.ScriptedWorker.Mode;
import dev.tuneforge.eval.storage.EvalCatalog;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.kit.storage.ObjectStoreException;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerEnvironment;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How eval-service keeps hold of the local workers it runs, with workers that misbehave on purpose, as real processes
 * ({@link ScriptedWorker}), with the real broker, S3 server and database:
 * <ul>
 *   <li>staging one evaluation meets an S3 error, every try, while another evaluation runs: the running one's lease is
 *   renewed all the same (on its own timer) and it finishes on its one claim; the other is not failed for S3's fault
 *   but waits, and goes on once S3 can read its base model again. The S3 server really fails: a file of the base
 *   model in its file store is a link to a file it cannot read;</li>
 *   <li>a worker that stops printing (and ignores SIGTERM) is stopped after the stall timeout and killed after the
 *   stop grace, so it does not keep its slot forever; the evaluation is tried again, and fails for good after its
 *   last try, saying why;</li>
 *   <li>a worker starts with a minimal environment: the service's own holds its S3 keys, its database password and
 *   a preset admin key (the build sets them for this module's tests, as a Secret would in production), and none of
 *   them, nor any other of the service's settings, reaches the worker.</li>
 * </ul>
 */
@QuarkusTest
@TestProfile(ScriptedWorker.Profile.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "eval"))
class WorkerSupervisionTest {

    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final Duration LEASE = Duration.parse("PT" + ScriptedWorker.Profile.LEASE.toUpperCase());
    private static final String PROJECT = "prj_supervision";
    /** Secrets and settings in the service's environment (see the module's pom). */
    private static final List<String> SERVICE_VARIABLES = List.of("TUNEFORGE_S3_ACCESS_KEY", "TUNEFORGE_S3_SECRET_KEY",
            "QUARKUS_DATASOURCE_PASSWORD", "TUNEFORGE_ADMIN_KEY", "AWS_SECRET_ACCESS_KEY");

    @Inject
    EvalCatalog catalog;
    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @Inject
    Jdbc jdbc;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "tuneforge.eval.torch-python")
    String python;

    TopicClient topics;
    ScriptedWorker worker;

    @BeforeEach
    void setUp() {
        topics = new TopicClient(bootstrap);
        worker = new ScriptedWorker(python);
        // evaluations other tests left behind would take the slots
        jdbc.update("UPDATE eval_runs SET status = 'failed', owner = NULL, lease_expires_at = NULL "
                + "WHERE status IN ('pending', 'running')");
    }

    @Test
    void anS3ErrorStagingOneEvaluationNeitherLetsTheLeaseOfARunningOneRunOutNorFailsTheEvaluation() throws Exception {
        String heldModel = baseModel();
        worker.behave(heldModel, Mode.HOLD);
        String running = evaluate(heldModel);
        await().atMost(WAIT).until(() -> worker.pid(heldModel, 1).isPresent());

        // A base model with a file the S3 server cannot read: every try to stage it is an S3 error.
        String unreadableModel = baseModel();
        String weightsKey = ObjectKeys.baseModel(unreadableModel) + "model.safetensors";
        Path blob = TuneforgeStack.stack().dataDirectory().resolve("s3/blobs").resolve(store.bucket())
                .resolve(weightsKey);
        byte[] weights = Files.readAllBytes(blob);
        Files.delete(blob);
        Files.createSymbolicLink(blob, unreadableFile());
        assertThrows(ObjectStoreException.class, () -> store.get(weightsKey).close());
        String waiting = evaluate(unreadableModel);
        await().atMost(WAIT).until(() -> reason(waiting).contains(weightsKey));

        // Two leases later, the running evaluation's lease has been renewed past where it would have run out, while
        // staging the other kept failing.
        OffsetDateTime expiry = leaseExpiry(running);
        await().atMost(WAIT).until(() -> leaseExpiry(running).isAfter(expiry.plus(LEASE.multipliedBy(2))));
        assertEquals(List.of(), outcomes(waiting), "an S3 error is no reason to fail the evaluation");
        assertEquals(1, attempts(running));

        // S3 reads it again: the waiting evaluation is staged and finishes.
        Path readable = Files.createTempFile(blob.getParent(), "weights", ".partial");
        Files.write(readable, weights);
        Files.move(readable, blob, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        await().atMost(WAIT).until(() -> !outcomes(waiting).isEmpty());
        assertEquals(1, outcomes(waiting).size());

        worker.release(heldModel);
        await().atMost(WAIT).until(() -> !outcomes(running).isEmpty());
        assertEquals(1, outcomes(running).size(), "one outcome");
        assertEquals(1, attempts(running), "no second claim");
        assertEquals(Optional.empty(), worker.pid(heldModel, 2), "no second claim");
    }

    @Test
    void aWorkerThatStopsPrintingIsStoppedAndItsEvaluationTriedAgainThenFailedSayingWhy() throws Exception {
        String model = baseModel();
        worker.behave(model, Mode.STALL);
        String job = evaluate(model);

        await().atMost(WAIT).until(() -> !outcomes(job).isEmpty());
        assertEquals(1, outcomes(job).size());
        EvalFailed failed = topics.events(EvalFailed.class, job).getFirst();
        assertEquals("evaluation could not run: worker exited with 137 (killed by signal 9): it printed nothing for 5 s,"
                + " so it was stopped; it did not exit within 1 s of SIGTERM, so it was killed", failed.reason());
        assertEquals(2, attempts(job), "tried again after the first stall");
        for (int attempt = 1; attempt <= 2; attempt++) {
            long pid = worker.pid(model, attempt).orElseThrow();
            assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "worker " + pid + " is gone");
        }
    }

    @Test
    void aWorkerGetsWhatItsRuntimeNeedsAndNoneOfTheServicesSecretsOrSettings() throws Exception {
        String model = baseModel();
        String job = evaluate(model);
        await().atMost(WAIT).until(() -> !outcomes(job).isEmpty());

        Map<String, String> env = worker.environment(model, 1);
        for (String name : SERVICE_VARIABLES) {
            String secret = System.getenv(name);
            assertNotNull(secret, "the service's environment has " + name);
            assertFalse(env.containsKey(name), name + " reached the worker");
            assertFalse(env.containsValue(secret), "the value of " + name + " reached the worker");
        }
        Set<String> runtimeOwn = WorkerCommand.torch(python, 1).env().keySet();
        for (String name : env.keySet()) {
            boolean needed = WorkerEnvironment.INHERITED.contains(name) || name.startsWith("LC_")
                    || runtimeOwn.contains(name);
            assertTrue(needed, name + " is not a variable a worker needs");
        }
        assertEquals(System.getenv("PATH"), env.get("PATH"));
        assertEquals("1", env.get("OMP_NUM_THREADS"));
        assertEquals("1", env.get("PYTHONUNBUFFERED"));
    }

    /** A base model of its own (config.json and a weights file, with a manifest), so its evaluation is known by it. */
    private String baseModel() throws IOException {
        String name = "sup-" + UUID.randomUUID().toString().substring(0, 8);
        Path dir = Files.createTempDirectory("eval-supervision").resolve(name);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"max_position_embeddings\": 64}");
        Files.writeString(dir.resolve("model.safetensors"), "weights of " + name);
        sync.upload(dir, ObjectKeys.baseModel(name));
        return name;
    }

    /**
     * A finished LoRA job on {@code baseModel}, trained on torch, with a ready dataset version of three held-out
     * examples: eval-service evaluates it on a torch slot. Returns the job's id.
     */
    private String evaluate(String baseModel) {
        String job = "job_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String dataset = "ds_" + job.substring(4);
        String prefix = "projects/" + PROJECT + "/datasets/" + dataset + "/v1/";
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            lines.append("{\"messages\":[{\"role\":\"user\",\"content\":\"question ").append(i)
                    .append("\"},{\"role\":\"assistant\",\"content\":\"answer ").append(i).append("\"}]}\n");
        }
        store.put(prefix + "validation.jsonl", lines.toString().getBytes(StandardCharsets.UTF_8), "application/jsonl");
        catalog.datasetReady(new DatasetReady(PROJECT, dataset, 1, null, "chat", "c", prefix + "train.jsonl", "t", 10,
                prefix + "validation.jsonl", "v", 3, 10, new TokenStats(1, 1, 1, 1, 1, 0), prefix + "report.json",
                null));
        String adapter = "projects/" + PROJECT + "/jobs/" + job + "/output/adapter/";
        store.put(adapter + "adapter_config.json", "{\"r\":4}".getBytes(StandardCharsets.UTF_8), "application/json");
        topics.publish(new TrainingFinished(PROJECT, job, "bot", baseModel, dataset, 1, "lora", adapter, "sha", 4,
                Map.of("train_loss", 0.5), null, "torch"), "trainer-service");
        return job;
    }

    /** The evaluation's outcomes as the topic has them: EvalPassed and EvalFailed. */
    private List<Object> outcomes(String job) {
        List<Object> all = new ArrayList<>(topics.events(EvalPassed.class, job));
        all.addAll(topics.events(EvalFailed.class, job));
        return all;
    }

    /** Why the evaluation is where it is, as eval_runs says (empty until it says). */
    private String reason(String job) {
        return jdbc.queryOne("SELECT coalesce(reason, '') FROM eval_runs WHERE job_id = ?", r -> r.getString(1), job)
                .orElse("");
    }

    private int attempts(String job) {
        return jdbc.queryOne("SELECT attempts FROM eval_runs WHERE job_id = ?", r -> r.getInt(1), job).orElseThrow();
    }

    private OffsetDateTime leaseExpiry(String job) {
        return jdbc.queryOne("SELECT lease_expires_at FROM eval_runs WHERE job_id = ?",
                r -> r.getObject(1, OffsetDateTime.class), job).orElseThrow();
    }

    /**
     * A file this user cannot read, and so neither can the S3 server, its child: one of its own without read
     * permission, or — for root, who reads anything on disk — a write-only sysfs attribute, which nobody can read.
     */
    private static Path unreadableFile() throws IOException {
        List<Path> candidates = new ArrayList<>();
        Path own = Files.createTempFile("unreadable", ".bin");
        Files.writeString(own, "{}");
        own.toFile().setReadable(false, false);
        candidates.add(own);
        try (Stream<Path> buses = Files.list(Path.of("/sys/bus"))) {
            buses.map(bus -> bus.resolve("uevent")).forEach(candidates::add);
        } catch (IOException e) {
            // no sysfs: only the file of our own can do
        }
        return candidates.stream().filter(p -> Files.isRegularFile(p) && !readable(p)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no file this user cannot read among " + candidates));
    }

    private static boolean readable(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            in.read();
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
