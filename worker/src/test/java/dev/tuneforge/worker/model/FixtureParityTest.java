package dev.tuneforge.worker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.worker.Djl;
import dev.tuneforge.worker.Fixtures;
import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The djl runtime against what transformers 5.17 computes for {@code shared/fixtures/tiny-llama-gqa}
 * in float32: token ids exactly; per-token NLL and last-position logits to 1e-4 relative.
 *
 * <p>Tolerances: logits pass when {@code max|ours - ref| <= 1e-4 * max|ref|} (relative to the largest
 * logit, so values near zero do not demand impossible precision); NLL when
 * {@code |ours - ref| <= 1e-4 * |ref|} for every token and for the mean.
 */
class FixtureParityTest {

    static final double LOGIT_TOLERANCE = 1e-4;
    static final double NLL_TOLERANCE = 1e-4;

    static NDManager manager;
    static LlamaModel model;
    static HfTokenizer tokenizer;
    static JsonNode reference;

    @BeforeAll
    static void load() throws IOException {
        Path dir = Fixtures.resolve("tiny-llama-gqa");
        reference = new ObjectMapper().readTree(Fixtures.resolve("tiny-llama-gqa.reference.json").toFile());
        manager = Djl.cpuManager();
        model = LlamaModel.load(dir, manager);
        tokenizer = HfTokenizer.load(dir);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
        if (tokenizer != null) {
            tokenizer.close();
        }
        if (manager != null) {
            manager.close();
        }
    }

    static Stream<Integer> probes() throws IOException {
        JsonNode ref = new ObjectMapper().readTree(Fixtures.resolve("tiny-llama-gqa.reference.json").toFile());
        return IntStream.range(0, ref.get("probes").size()).boxed();
    }

    @Test
    void configMatchesTheFixture() {
        LlamaConfig c = model.config();
        assertEquals(64, c.hiddenSize());
        assertEquals(4, c.numAttentionHeads());
        assertEquals(2, c.numKeyValueHeads());
        assertEquals(16, c.headDim());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(new RopeScaling.None(), c.ropeScaling());
        assertEquals(false, c.tieWordEmbeddings());
        assertEquals(512, c.vocabSize());
    }

    @ParameterizedTest(name = "probe {0}")
    @MethodSource("probes")
    void tokenIdsMatchExactly(int index) {
        JsonNode probe = reference.get("probes").get(index);
        assertArrayEquals(longs(probe.get("ids")), tokenizer.encode(probe.get("text").asText()),
                "ids of: " + probe.get("text").asText());
    }

    @ParameterizedTest(name = "probe {0}")
    @MethodSource("probes")
    void nllAndLogitsMatchTransformers(int index) {
        JsonNode probe = reference.get("probes").get(index);
        long[] ids = longs(probe.get("ids"));
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = scope.create(ids).reshape(1, ids.length);
            NDArray logits = model.forward(input);
            assertEquals(List.of(1L, (long) ids.length, 512L),
                    List.of(logits.getShape().get(0), logits.getShape().get(1), logits.getShape().get(2)));

            NDArray predicting = logits.get(new NDIndex(":, :-1, :"));
            NDArray targets = input.get(new NDIndex(":, 1:"));
            double[] nll = toDoubles(CausalLmLoss.tokenNll(predicting, targets).toFloatArray());
            double[] refNll = doubles(probe.get("token_nll"));
            assertEquals(refNll.length, nll.length);
            double worstNll = 0;
            for (int t = 0; t < nll.length; t++) {
                double rel = Math.abs(nll[t] - refNll[t]) / Math.abs(refNll[t]);
                worstNll = Math.max(worstNll, rel);
                assertTrue(rel <= NLL_TOLERANCE, "token " + t + ": nll " + nll[t] + " vs " + refNll[t]);
            }
            double mean = java.util.Arrays.stream(nll).average().orElseThrow();
            double refMean = probe.get("mean_nll").asDouble();
            double meanRel = Math.abs(mean - refMean) / refMean;
            assertTrue(meanRel <= NLL_TOLERANCE, "mean nll " + mean + " vs " + refMean);

            double[] last = toDoubles(logits.get(new NDIndex("0, -1, :")).toFloatArray());
            double[] refLast = doubles(probe.get("last_logits"));
            double maxDiff = 0;
            double maxRef = 0;
            for (int v = 0; v < last.length; v++) {
                maxDiff = Math.max(maxDiff, Math.abs(last[v] - refLast[v]));
                maxRef = Math.max(maxRef, Math.abs(refLast[v]));
            }
            double logitRel = maxDiff / maxRef;
            System.out.printf("parity probe %d: logits max|diff|/max|ref| = %.3e, worst token nll rel = %.3e,"
                    + " mean nll rel = %.3e%n", index, logitRel, worstNll, meanRel);
            assertTrue(logitRel <= LOGIT_TOLERANCE, "last logits: max diff " + maxDiff + " over max " + maxRef);
        }
    }

    @Test
    void chatTemplateRendersAndTokenizesLikeTransformers() {
        // The conversation the reference rendered; README: two messages, add_generation_prompt=True.
        List<ChatMessage> messages = List.of(
                ChatMessage.system("Reply with JSON only."),
                ChatMessage.user("name: Ada, age: 36"));
        assertEquals(reference.get("chat_rendered").asText(), tokenizer.renderChat(messages, true));
        assertArrayEquals(longs(reference.get("chat_ids")), tokenizer.encodeChat(messages, true));
    }

    private static long[] longs(JsonNode array) {
        List<Long> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asLong()));
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static double[] doubles(JsonNode array) {
        List<Double> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asDouble()));
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double[] toDoubles(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
