package dev.tuneforge.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.platform.test.TopicClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The demo on the torch runtime, through the public API only: the five services started as {@code bin/tuneforge up}
 * starts them (trainer-service and eval-service with a djl and a torch slot, the torch runtime's Python in the
 * project's environment), {@code tiny-llama} registered with the CLI, then {@code tuneforge demo --runtime torch} —
 * the demo's recipe as it is (LoRA r 128 on every linear layer, 480 steps). Then:
 * <ul>
 * <li>its chain DatasetUploaded → DatasetReady → TrainingRequested → TrainingStarted → TrainingFinished → EvalPassed →
 *     ModelRegistered → ModelPromoted happened exactly once, in order, linked by ids and digests, and the training
 *     events say torch: requested, started on the torch slot, finished;</li>
 * <li>the evaluation ran on the torch slot (its report, through the API), candidate and base model alike;</li>
 * <li>the job's view shows its runtime, and chat with the champion — a torch-trained adapter in PEFT layout, served
 *     by the gateway's djl {@code worker serve} — answers with a JSON object.</li>
 * </ul>
 */
class TorchPipelineIT {

    private static final String MODEL = "json-bot";

    @RegisterExtension
    static final Platform platform = Platform.of("torch-pipeline", "dataset-service", "trainer-service",
            "eval-service", "registry-service");

    @Test
    void theDemoOnTheTorchRuntimeTrainsEvaluatesAndServesItsModel() throws Exception {
        Api api = platform.api();
        Cli.Run demo = platform.demo("--runtime", "torch");
        assertTrue(demo.output().contains("evaluated on the torch runtime (slot cpu-1)"), demo.output());

        JsonNode card = api.get("/api/v1/models/" + MODEL + "/versions/1");
        assertEquals("promoted", card.path("status").asText(), card.toString());
        String jobId = card.path("job_id").asText();
        String datasetId = card.at("/dataset/id").asText();
        JsonNode job = api.get("/api/v1/jobs/" + jobId);
        assertEquals("torch", job.path("runtime").asText(), job.toString());
        assertEquals("succeeded", job.path("state").asText(), job.toString());

        JsonNode eval = api.get("/api/v1/evals/" + job.path("eval_id").asText());
        assertEquals("torch", eval.at("/report/runtime").asText(), eval.toString());
        assertEquals("cpu-1", eval.at("/report/slot").asText(), eval.toString());
        assertTrue(eval.at("/report/subjects/candidate/metrics/exact_match").asDouble()
                > eval.at("/report/subjects/base/metrics/exact_match").asDouble(), eval.toString());

        JsonNode answer = api.post("/v1/chat/completions", Map.of("model", MODEL, "temperature", 0, "max_tokens", 64,
                "messages", List.of(Map.of("role", "user", "content",
                        "Give me a JSON object with name Tazori and age 52"))), 200);
        assertEquals(MODEL + ":1", answer.path("system_fingerprint").asText(), answer.toString());
        String content = answer.at("/choices/0/message/content").asText();
        assertTrue(Api.JSON.readTree(content).isObject(), content);

        JsonNode lineage = api.get("/api/v1/models/" + MODEL + "/versions/1/lineage");
        TopicClient topics = new TopicClient(platform.stack().kafkaBootstrapServers());
        DemoChain chain = DemoChain.assertOnceAndInOrder(topics, MODEL, datasetId, jobId, lineage);
        assertEquals("torch", chain.requested().as(TrainingRequested.class).runtime());
        TrainingStarted started = chain.started().as(TrainingStarted.class);
        assertEquals("torch", started.runtime());
        assertEquals("cpu-1", started.slot());
        assertEquals("torch", chain.finished().as(TrainingFinished.class).runtime());
    }
}
