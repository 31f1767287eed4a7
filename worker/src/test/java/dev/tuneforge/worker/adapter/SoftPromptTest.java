package dev.tuneforge.worker.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.Djl;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.model.AttentionMask;
import dev.tuneforge.worker.model.KvCache;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.protocol.TrainSpec;
import dev.tuneforge.worker.safetensors.SafetensorsReader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A soft prompt is what PEFT's prompt tuning makes it: embeddings before the real tokens' at positions 0..n-1, seen
 * by every real token, started from a text's token embeddings or at random, and saved in PEFT's PROMPT_TUNING layout.
 * The position and mask handling is checked against its plain equivalent: a soft prompt of some tokens' embeddings
 * must give the real tokens the logits they have after those tokens.
 */
class SoftPromptTest {

    private static final long[] PREFIX = {11, 40, 12};
    private static final long[] IDS = {5, 60, 7, 80, 9};

    @TempDir
    Path dir;

    @Test
    void aSoftPromptOfTokenEmbeddingsGivesTheRealTokensTheLogitsTheyHaveAfterThoseTokens() {
        Path base = TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small());
        try (NDManager m = Djl.cpuManager(); LlamaModel model = LlamaModel.load(base, m)) {
            long[] joined = new long[PREFIX.length + IDS.length];
            System.arraycopy(PREFIX, 0, joined, 0, PREFIX.length);
            System.arraycopy(IDS, 0, joined, PREFIX.length, IDS.length);
            NDArray expected = model.forward(m.create(joined).reshape(1, joined.length))
                    .get(new NDIndex(":, {}:, :", PREFIX.length));
            model.setVirtualTokens(model.embedTokens().get(new NDIndex("{}", m.create(PREFIX))));
            NDArray ids = m.create(IDS).reshape(1, IDS.length);

            NDArray causal = model.forward(ids);
            assertEquals(new Shape(1, IDS.length, model.config().vocabSize()), causal.getShape(),
                    "only the real tokens' logits");
            assertTrue(causal.allClose(expected, 1e-5, 1e-5, false), "causal");

            // A training batch: the row right-padded, attention kept inside its segment, positions from 0.
            NDArray padded = m.create(new long[] {5, 60, 7, 80, 9, 0, 0}).reshape(1, 7);
            NDArray segments = m.create(new long[] {0, 0, 0, 0, 0, -1, -1}).reshape(1, 7);
            NDArray positions = m.create(new long[] {0, 1, 2, 3, 4, 0, 0}).reshape(1, 7);
            NDArray batch = model.forward(padded, positions, AttentionMask.segments(segments))
                    .get(new NDIndex(":, :{}, :", IDS.length));
            assertTrue(batch.allClose(expected, 1e-5, 1e-5, false), "segments and positions");

            // Generation: a left-padded prompt through the cache, then one more token.
            try (KvCache cache = model.newCache()) {
                NDArray prompt = model.forward(m.create(new long[] {0, 5, 60, 7, 80}).reshape(1, 5),
                        m.create(new long[] {0, 0, 1, 2, 3}).reshape(1, 5),
                        m.create(new long[] {0, 1, 1, 1, 1}).reshape(1, 5), cache);
                NDArray next = model.forward(m.create(new long[] {9}).reshape(1, 1), m.create(new long[] {4})
                        .reshape(1, 1), m.create(new long[] {1}).reshape(1, 1), cache);
                NDArray cached = prompt.get(new NDIndex(":, 1:, :")).concat(next, 1);
                assertTrue(cached.allClose(expected, 1e-5, 1e-5, false), "the key/value cache");
            }
        }
    }

    @Test
    void textInitIsTheEmbeddingOfTheTokenisedTextRepeatedAndCutToTheVirtualTokens() {
        Path base = TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small());
        try (NDManager m = Djl.cpuManager(); LlamaModel model = LlamaModel.load(base, m);
             HfTokenizer tokenizer = HfTokenizer.load(base)) {
            long[] text = tokenizer.encode("Answer with JSON");
            int n = text.length * 2 + 1;
            SoftPrompt prompt = SoftPrompt.attach(model,
                    new TrainSpec.PromptTuning(n, TrainSpec.PromptInit.TEXT, "Answer with JSON"), tokenizer, 1);
            long[] expectedIds = new long[n];
            for (int i = 0; i < n; i++) {
                expectedIds[i] = text[i % text.length];
            }
            NDArray expected = model.embedTokens().get(new NDIndex("{}", m.create(expectedIds)));
            assertArrayEquals(expected.toFloatArray(), prompt.parameters().get("prompt_embeddings").toFloatArray());
            assertArrayEquals(new long[] {text[0], text[1]}, SoftPrompt.initTokens(text, 2), "cut");
            prompt.close();
        }
    }

    @Test
    void randomInitIsStandardNormalDrawnFromTheSeed() {
        Path base = TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small());
        try (NDManager m = Djl.cpuManager(); LlamaModel model = LlamaModel.load(base, m)) {
            TrainSpec.PromptTuning spec = new TrainSpec.PromptTuning(64, TrainSpec.PromptInit.RANDOM, null);
            float[] first = draw(model, spec, 3);
            assertArrayEquals(first, draw(model, spec, 3), "the same seed, the same prompt");
            assertFalse(java.util.Arrays.equals(first, draw(model, spec, 4)), "another seed, another prompt");
            double mean = 0;
            double square = 0;
            for (float v : first) {
                mean += v / first.length;
                square += (double) v * v / first.length;
            }
            // 64 x 32 = 2048 draws: the mean within 4 standard errors of 0, the variance near 1.
            assertEquals(0, mean, 4 / Math.sqrt(first.length), "mean");
            assertEquals(1, square - mean * mean, 0.15, "variance");
        }
    }

    private static float[] draw(LlamaModel model, TrainSpec.PromptTuning spec, long seed) {
        try (SoftPrompt prompt = SoftPrompt.attach(model, spec, null, seed)) {
            return prompt.parameters().get("prompt_embeddings").toFloatArray();
        }
    }

    @Test
    void savedPromptHasPeftsPromptTuningLayoutAndLoadsBackToTheSameLogits() throws Exception {
        Path base = TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small());
        try (NDManager m = Djl.cpuManager(); LlamaModel model = LlamaModel.load(base, m);
             LlamaModel fresh = LlamaModel.load(base, m)) {
            NDArray ids = m.create(IDS).reshape(1, IDS.length);
            NDArray before = model.forward(ids);
            SoftPrompt prompt = SoftPrompt.attach(model,
                    new TrainSpec.PromptTuning(4, TrainSpec.PromptInit.RANDOM, null), null, 9);
            NDArray tuned = model.forward(ids);
            assertFalse(tuned.allClose(before, 1e-4, 1e-4, false), "the prompt changes the logits");
            prompt.save(dir.resolve("adapter"), "base");

            JsonNode config = new ObjectMapper().readTree(dir.resolve("adapter/adapter_config.json").toFile());
            assertEquals("PROMPT_TUNING", config.get("peft_type").asText());
            assertEquals("CAUSAL_LM", config.get("task_type").asText());
            assertEquals(4, config.get("num_virtual_tokens").asInt());
            assertEquals(model.config().hiddenSize(), config.get("token_dim").asInt());
            assertEquals(1, config.get("num_transformer_submodules").asInt());
            assertEquals(model.config().numAttentionHeads(), config.get("num_attention_heads").asInt());
            assertEquals(model.config().numHiddenLayers(), config.get("num_layers").asInt());
            assertEquals("RANDOM", config.get("prompt_tuning_init").asText());
            assertEquals("base", config.get("base_model_name_or_path").asText());
            try (SafetensorsReader weights = SafetensorsReader.open(dir.resolve("adapter/adapter_model.safetensors"))) {
                assertEquals(java.util.Set.of("prompt_embeddings"), weights.names());
                assertArrayEquals(new long[] {4, model.config().hiddenSize()}, weights.info("prompt_embeddings").shape());
                assertEquals("F32", weights.info("prompt_embeddings").dtype().name());
            }

            Adapter loaded = Adapter.load(fresh, dir.resolve("adapter"));
            assertTrue(loaded instanceof SoftPrompt);
            assertTrue(fresh.forward(ids).allClose(tuned, 1e-6, 1e-6, false), "the loaded prompt gives the same logits");
            loaded.close();
            assertTrue(fresh.forward(ids).allClose(before, 1e-6, 1e-6, false), "closing detaches");
            prompt.close();
        }
    }
}
