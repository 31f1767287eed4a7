package dev.tuneforge.eval;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.worker.fixture.JsonTask;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * A djl slot and a torch slot, as {@code bin/tuneforge up} configures them, with both real runtimes: an evaluation
 * runs on a slot of its candidate's runtime ({@code TrainingFinished.runtime}; djl when it names none), candidate
 * and base model alike, and the results are cached per runtime, so the same subject evaluated by the other runtime is
 * computed again, under its own key, rather than taken from the first.
 */
@QuarkusTest
@TestProfile(EvalRuntimeTest.DjlAndTorchSlots.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "eval"))
class EvalRuntimeTest {

    private static final Duration WAIT = Duration.ofMinutes(4);
    private static final String PROJECT = "prj_runtimes";
    private static final String BASE = "tiny-runtimes";

    /** The slots, the torch runtime's environment and its bootstrap as {@code up} sets them; short answers. */
    public static class DjlAndTorchSlots implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Path repo = Path.of(System.getProperty("tuneforge.repo", "..")).toAbsolutePath().normalize();
            return Map.of("tuneforge.eval.slots", "cpu-0:djl,cpu-1:torch",
                    "tuneforge.eval.torch-python", repo.resolve("worker/python/.venv/bin/python").toString(),
                    "tuneforge.eval.torch-bootstrap", "bash '" + repo.resolve("bin/tuneforge") + "' python-env",
                    "tuneforge.eval.max-new-tokens", "16");
        }
    }

    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @Inject
    Jdbc jdbc;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void theCandidatesRuntimeEvaluatesItAndItsBaseModelOnASlotOfItsOwn() throws Exception {
        Path dir = Files.createTempDirectory("eval-runtimes");
        sync.upload(TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small()),
                ObjectKeys.baseModel(BASE));
        String prefix = "projects/" + PROJECT + "/datasets/ds_rt/v1/";
        store.put(prefix + "validation.jsonl", JsonTask.jsonl(4, 12, true, new HashSet<>())
                .getBytes(StandardCharsets.UTF_8), "application/jsonl");
        TopicClient topics = new TopicClient(bootstrap);
        topics.publish(new DatasetReady(PROJECT, "ds_rt", 1, null, "chat", "c", prefix + "train.jsonl", "t", 10,
                prefix + "validation.jsonl", "v", 4, 10, new TokenStats(1, 1, 1, 1, 1, 0), prefix + "report.json",
                null), "dataset-service");

        // The same whole model as two candidates: one trained (so it says) on torch, one by a trainer that names no
        // runtime.
        String model = ObjectKeys.baseModel(BASE);
        topics.publish(finished("job_rt_torch", model, "torch"), "trainer-service");
        topics.publish(finished("job_rt_djl", model, null), "trainer-service");

        JsonNode torch = report(topics, "job_rt_torch");
        JsonNode djl = report(topics, "job_rt_djl");
        assertEquals("torch", torch.path("runtime").asText(), torch.toString());
        assertEquals("cpu-1", torch.path("slot").asText());
        assertEquals("djl", djl.path("runtime").asText(), djl.toString());
        assertEquals("cpu-0", djl.path("slot").asText());

        // Base model and candidate, each once per runtime, each runtime's results under their own key.
        for (String subject : List.of("base:" + BASE + "@%", "artifact:" + model)) {
            List<String> rows = jdbc.query("SELECT runtime || ' ' || results_key FROM eval_cache WHERE subject LIKE ? "
                    + "AND dataset_id = 'ds_rt' ORDER BY runtime", r -> r.getString(1), subject);
            assertEquals(List.of("djl", "torch"), rows.stream().map(r -> r.split(" ")[0]).toList(), subject);
            assertNotEquals(rows.get(0).split(" ")[1], rows.get(1).split(" ")[1], subject);
        }
    }

    private static TrainingFinished finished(String jobId, String artifactKey, String runtime) {
        return new TrainingFinished(PROJECT, jobId, "rt-bot", BASE, "ds_rt", 1, "full", artifactKey, "sha", 1,
                Map.of("train_loss", 0.1), null, runtime);
    }

    /** The report of the job's evaluation, passed or failed. */
    private JsonNode report(TopicClient topics, String jobId) throws Exception {
        await().atMost(WAIT).until(() -> !topics.events(EvalPassed.class, jobId).isEmpty()
                || !topics.events(EvalFailed.class, jobId).isEmpty());
        String key = topics.events(EvalPassed.class, jobId).isEmpty()
                ? topics.events(EvalFailed.class, jobId).getFirst().reportKey()
                : topics.events(EvalPassed.class, jobId).getFirst().reportKey();
        try (InputStream in = store.get(key)) {
            return EventCodec.mapper().readTree(in);
        }
    }
}
