package dev.tuneforge.worker.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.Djl;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.lora.LoraModel;
import dev.tuneforge.worker.model.AttentionMask;
import dev.tuneforge.worker.model.KvCache;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.protocol.GenerationParams;
import dev.tuneforge.worker.protocol.TrainSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generation with the key/value cache gives what recomputing the whole sequence every step gives, on a
 * batch of left-padded prompts of different lengths, with grouped-query attention and LoRA adapters;
 * and sampling honours temperature, top-p, top-k, seeds, stop strings and the token budget.
 */
class GeneratorTest {

    private static final long PAD = 0;

    @TempDir
    static Path dir;

    private static NDManager manager;
    private static HfTokenizer tokenizer;
    private static LlamaModel model;
    private static LoraModel lora;
    private static List<long[]> prompts;

    @BeforeAll
    static void loadModel() {
        // Untied embeddings keep the random model's logits moderate, so sampling differs from greedy.
        Path base = TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small().withTieEmbeddings(false)
                .withQkvBias(true));
        manager = Djl.cpuManager();
        tokenizer = HfTokenizer.load(base);
        model = LlamaModel.load(base, manager);
        lora = LoraModel.attach(model, new TrainSpec.Lora(4, 8, 0, List.of("q_proj", "k_proj", "v_proj", "down_proj"),
                false), 3);
        lora.parameters().forEach((name, p) -> {
            if (name.contains("lora_B")) {
                p.set(manager.randomNormal(0, 0.2f, p.getShape(), p.getDataType()).toFloatArray());
            }
        });
        prompts = List.of(
                tokenizer.encode("LoRA keeps the base weights frozen", false),
                tokenizer.encode("Numbers", false),
                tokenizer.encode("The trainer reads JSON lines, packs the examples into sequences, and", false));
    }

    @AfterAll
    static void close() {
        lora.close();
        model.close();
        tokenizer.close();
        manager.close();
    }

    private static Generator generator(Set<Long> stopIds) {
        return new Generator(model, stopIds, PAD, ids -> tokenizer.decode(ids, true));
    }

    private static GenerationParams sampling(double temperature, double topP, Integer topK, long seed,
                                             List<String> stop, int maxNewTokens) {
        return new GenerationParams(maxNewTokens, temperature, topP, topK, seed, stop);
    }

    @Test
    void cachedGreedyDecodingEqualsRecomputingTheWholeSequence() {
        List<long[]> unstopped = recomputeGreedy(prompts, Set.of(), 24);
        // A token the first row produces early ends that row there, so the batch goes on with a finished,
        // padded row beside running ones.
        long stopId = unstopped.getFirst()[3];
        Set<Long> stopIds = Set.of(stopId);
        List<long[]> expected = recomputeGreedy(prompts, stopIds, 24);
        List<Generation> actual = generator(stopIds).generate(prompts, GenerationParams.greedy(24));
        assertTrue(expected.getFirst().length <= 3);
        assertTrue(expected.stream().anyMatch(t -> t.length == 24), "some row runs the whole budget");
        for (int r = 0; r < prompts.size(); r++) {
            assertArrayEquals(expected.get(r), actual.get(r).tokens(), "row " + r);
            assertEquals(expected.get(r).length == 24 ? Generation.FinishReason.LENGTH : Generation.FinishReason.STOP,
                    actual.get(r).finishReason());
            assertEquals(tokenizer.decode(expected.get(r), true), actual.get(r).text());
        }
        // Alone, a prompt gives the same tokens as in the batch: padding changes nothing.
        assertArrayEquals(expected.get(1), generator(stopIds).generate(List.of(prompts.get(1)),
                GenerationParams.greedy(24)).getFirst().tokens());
    }

    @Test
    void eachCachedStepHasTheLogitsOfTheFullForwardPass() {
        int n = prompts.size();
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
        Batch batch = Batch.leftPadded(prompts, longest + 5);
        try (NDManager m = manager.newSubManager(); KvCache cache = model.newCache()) {
            NDArray cached = model.forward(m.create(batch.slice(batch.ids, 0, longest), new Shape(n, longest)),
                    m.create(batch.slice(batch.positions, 0, longest), new Shape(n, longest)),
                    m.create(batch.slice(batch.keep, 0, longest), new Shape(n, longest)), cache);
            NDArray full = batch.forward(m, longest);
            assertTrue(cached.allClose(full, 1e-5, 1e-5, false), "the prompt pass equals the plain forward pass");
            for (int length = longest; length < longest + 5; length++) {
                long[] next = full.get(new NDIndex(":, -1, :")).argMax(-1).toLongArray();
                for (int r = 0; r < n; r++) {
                    batch.append(r, length, next[r]);
                }
                Shape one = new Shape(n, 1);
                NDArray step = model.forward(m.create(batch.slice(batch.ids, length, 1), one),
                        m.create(batch.slice(batch.positions, length, 1), one),
                        m.create(batch.slice(batch.keep, length, 1), one), cache);
                full = batch.forward(m, length + 1);
                NDArray expected = full.get(new NDIndex(":, -1:, :"));
                assertEquals(expected.getShape(), step.getShape());
                float diff = step.sub(expected).abs().max().getFloat();
                assertTrue(diff <= 1e-5, "step " + (length - longest) + ": max difference " + diff);
            }
            assertEquals(longest + 5, cache.length());
        }
    }

    @Test
    void aTinyTopPOrTopKOfOneIsGreedy() {
        List<Generation> greedy = generator(Set.of()).generate(prompts, GenerationParams.greedy(16));
        List<Generation> nucleus = generator(Set.of()).generate(prompts, sampling(1.0, 1e-9, null, 7, List.of(), 16));
        List<Generation> topK = generator(Set.of()).generate(prompts, sampling(1.5, 1.0, 1, 8, List.of(), 16));
        for (int r = 0; r < prompts.size(); r++) {
            assertArrayEquals(greedy.get(r).tokens(), nucleus.get(r).tokens(), "top_p, row " + r);
            assertArrayEquals(greedy.get(r).tokens(), topK.get(r).tokens(), "top_k, row " + r);
        }
    }

    @Test
    void theSameSeedGivesTheSameTextAndAnotherSeedAnother() {
        GenerationParams params = sampling(1.0, 0.95, 50, 1234, List.of(), 32);
        List<Generation> first = generator(Set.of()).generate(prompts, params);
        List<Generation> again = generator(Set.of()).generate(prompts, params);
        List<Generation> other = generator(Set.of()).generate(prompts, params.withSeed(99L));
        List<Generation> greedy = generator(Set.of()).generate(prompts, GenerationParams.greedy(32));
        for (int r = 0; r < prompts.size(); r++) {
            assertArrayEquals(first.get(r).tokens(), again.get(r).tokens(), "row " + r);
            assertEquals(first.get(r).text(), again.get(r).text());
        }
        assertNotEquals(texts(first), texts(other));
        assertNotEquals(texts(first), texts(greedy));
    }

    @Test
    void topKSamplesOnlyAmongTheKMostLikelyTokens() {
        float[] logits = {0.5f, 3f, -1f, 2.9f, 1f, 2.95f};
        Sampler sampler = new Sampler(sampling(5.0, 1.0, 2, 0, List.of(), 1));
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        Set<Integer> seen = new java.util.TreeSet<>();
        for (int i = 0; i < 500; i++) {
            seen.add(sampler.sample(logits, 0, logits.length, random));
        }
        assertEquals(Set.of(1, 5), seen);
        Sampler nucleus = new Sampler(sampling(1.0, 0.7, null, 0, List.of(), 1));
        seen.clear();
        for (int i = 0; i < 500; i++) {
            seen.add(nucleus.sample(logits, 0, logits.length, random));
        }
        assertEquals(Set.of(1, 3, 5), seen, "p(1) + p(5) = 0.63 < 0.7 <= p(1) + p(5) + p(3) = 0.92");
    }

    @Test
    void aStopStringEndsGenerationAndIsLeftOutOfTheText() {
        String whole = generator(Set.of()).generate(List.of(prompts.get(0)), GenerationParams.greedy(40)).getFirst()
                .text();
        int at = 6;
        while (whole.substring(at, at + 3).chars().anyMatch(c -> c == '\uFFFD' || Character.isWhitespace(c))) {
            at++;
        }
        String stop = whole.substring(at, at + 3);
        List<String> pieces = new ArrayList<>();
        Generation cut = generator(Set.of()).generate(List.of(prompts.get(0)),
                sampling(0, 1, null, 0, List.of("never in the text", stop), 40), (row, piece) -> pieces.add(piece))
                .getFirst();
        assertEquals(whole.substring(0, whole.indexOf(stop)), cut.text());
        assertEquals(Generation.FinishReason.STOP, cut.finishReason());
        assertTrue(cut.tokens().length < 40);
        assertEquals(cut.text(), String.join("", pieces), "streamed pieces add up to the text");
        assertTrue(pieces.stream().noneMatch(p -> p.contains(stop)));
    }

    @Test
    void streamedPiecesAddUpToEachRowsText() {
        List<StringBuilder> streamed = List.of(new StringBuilder(), new StringBuilder(), new StringBuilder());
        List<Generation> out = generator(Set.of(2L)).generate(prompts, sampling(1.2, 0.9, null, 5, List.of("e t"), 30),
                (row, piece) -> streamed.get(row).append(piece));
        for (int r = 0; r < prompts.size(); r++) {
            assertEquals(out.get(r).text(), streamed.get(r).toString(), "row " + r);
        }
    }

    @Test
    void theBudgetEndsGenerationWithLength() {
        List<Generation> out = generator(Set.of()).generate(prompts, sampling(0.7, 1, null, 1, List.of(), 7));
        for (Generation g : out) {
            assertEquals(7, g.tokens().length);
            assertEquals(Generation.FinishReason.LENGTH, g.finishReason());
        }
        assertEquals(0, generator(Set.of()).generate(prompts, GenerationParams.greedy(0)).getFirst().tokens().length);
    }

    private static List<String> texts(List<Generation> generations) {
        return generations.stream().map(Generation::text).toList();
    }

    /**
     * The reference: greedy decoding that reruns the whole left-padded batch every step, with the padding
     * mask and per-row positions, as the generator did before it had a cache.
     */
    private static List<long[]> recomputeGreedy(List<long[]> prompts, Set<Long> stopIds, int maxNewTokens) {
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
        Batch batch = Batch.leftPadded(prompts, longest + maxNewTokens);
        List<List<Long>> generated = new ArrayList<>();
        prompts.forEach(p -> generated.add(new ArrayList<>()));
        boolean[] done = new boolean[prompts.size()];
        try (NDManager m = manager.newSubManager()) {
            for (int length = longest; length < longest + maxNewTokens; length++) {
                long[] next = batch.forward(m, length).get(new NDIndex(":, -1, :")).argMax(-1).toLongArray();
                for (int r = 0; r < prompts.size(); r++) {
                    if (done[r] || stopIds.contains(next[r])) {
                        done[r] = true;
                        batch.positions[r][length] = batch.positions[r][length - 1] + 1;
                        continue;
                    }
                    batch.append(r, length, next[r]);
                    generated.get(r).add(next[r]);
                }
            }
        }
        return generated.stream().map(g -> g.stream().mapToLong(Long::longValue).toArray()).toList();
    }

    /** A left-padded batch of token rows, grown one column at a time, as full-sequence forward passes see it. */
    private record Batch(long[][] ids, long[][] keep, long[][] positions) {

        static Batch leftPadded(List<long[]> prompts, int width) {
            int longest = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
            int n = prompts.size();
            Batch b = new Batch(new long[n][width], new long[n][width], new long[n][width]);
            for (int r = 0; r < n; r++) {
                long[] p = prompts.get(r);
                Arrays.fill(b.ids[r], PAD);
                int pad = longest - p.length;
                for (int t = 0; t < p.length; t++) {
                    b.ids[r][pad + t] = p[t];
                    b.keep[r][pad + t] = 1;
                    b.positions[r][pad + t] = t;
                }
            }
            return b;
        }

        void append(int row, int column, long token) {
            ids[row][column] = token;
            keep[row][column] = 1;
            positions[row][column] = positions[row][column - 1] + 1;
        }

        long[] slice(long[][] rows, int from, int length) {
            long[] out = new long[rows.length * length];
            for (int r = 0; r < rows.length; r++) {
                System.arraycopy(rows[r], from, out, r * length, length);
            }
            return out;
        }

        /** Logits {@code [B, length, vocab]} of the first {@code length} columns, recomputed from scratch. */
        NDArray forward(NDManager m, int length) {
            Shape shape = new Shape(ids.length, length);
            return model.forward(m.create(slice(ids, 0, length), shape), m.create(slice(positions, 0, length), shape),
                    AttentionMask.padding(m.create(slice(keep, 0, length), shape)));
        }
    }
}
