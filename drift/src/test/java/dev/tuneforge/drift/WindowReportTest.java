package dev.tuneforge.drift;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WindowReportTest {

    private final TrafficSample reference = SyntheticTraffic.training().sample(2000, 1);

    @Test
    void a_window_of_drifted_traffic_crosses_every_threshold() {
        WindowReport report = WindowReport.compute(reference, SyntheticTraffic.drifted().sample(200, 7),
                DriftThresholds.defaults(), 7);
        assertEquals(Metric.values().length, report.metrics().size());
        List<Metric> notCrossed = report.metrics().stream().filter(m -> !m.crossed()).map(MetricResult::metric).toList();
        assertEquals(List.of(), notCrossed, report.metrics().toString());
    }

    @Test
    void the_same_window_and_seed_give_the_same_report() {
        TrafficSample window = SyntheticTraffic.training().sample(200, 9);
        assertEquals(WindowReport.compute(reference, window, DriftThresholds.defaults(), 3),
                WindowReport.compute(reference, window, DriftThresholds.defaults(), 3));
    }

    @Test
    void text_free_observations_leave_out_the_embedding_and_validity_tests_rather_than_guess() {
        SplittableRandom random = new SplittableRandom(5);
        TrafficSample.Builder builder = new TrafficSample.Builder(new HashedNgrams(), new OutputValidity(),
                SyntheticTraffic.VOCABULARY);
        for (int i = 0; i < 100; i++) {
            Observation o = SyntheticTraffic.training().observation(random);
            builder.add(Observation.textFree(o.promptTokens(), o.completionTokens()));
        }
        WindowReport report = WindowReport.compute(reference, builder.build(), DriftThresholds.defaults(), 1);
        assertEquals(List.of(Metric.PROMPT_LENGTH_PSI, Metric.PROMPT_LENGTH_KS, Metric.PROMPT_LENGTH_WASSERSTEIN,
                Metric.COMPLETION_LENGTH_PSI, Metric.COMPLETION_LENGTH_KS, Metric.COMPLETION_LENGTH_WASSERSTEIN,
                Metric.COMPLETION_VOCABULARY_JS), report.metrics().stream().map(MetricResult::metric).toList());
    }

    @Test
    void observations_known_by_their_derived_features_count_like_the_same_observations_with_text() {
        SplittableRandom random = new SplittableRandom(6);
        HashedNgrams ngrams = new HashedNgrams();
        OutputValidity validity = new OutputValidity();
        TrafficSample.Builder withText = new TrafficSample.Builder(ngrams, validity, SyntheticTraffic.VOCABULARY);
        TrafficSample.Builder derived = new TrafficSample.Builder(ngrams, validity, SyntheticTraffic.VOCABULARY);
        for (int i = 0; i < 50; i++) {
            Observation o = SyntheticTraffic.training().observation(random);
            withText.add(o);
            derived.addDerived(o.promptTokens().length, o.completionTokens().length,
                    o.prompt().map(ngrams::embed).orElse(null), o.completion().map(validity::isValid).orElse(null));
        }
        TrafficSample a = withText.build();
        TrafficSample b = derived.build();
        assertArrayEquals(a.promptLengths(), b.promptLengths());
        assertArrayEquals(a.completionLengths(), b.completionLengths());
        assertArrayEquals(a.promptEmbeddings(), b.promptEmbeddings());
        assertEquals(a.validOutputs(), b.validOutputs());
        assertEquals(a.checkedOutputs(), b.checkedOutputs());
        assertEquals(0, java.util.Arrays.stream(b.completionVocabulary()).sum(), "no token ids, no vocabulary");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> derived.addDerived(3, 4, new double[7], null));
        assertEquals("a prompt embedding of 7 dimensions where this sample's have 512", e.getMessage());
    }

    @Test
    void a_sparse_embedding_reads_back_as_the_vector_it_was_written_from_and_a_broken_one_is_refused_saying_where() {
        double[] vector = new HashedNgrams().embed("Give me a JSON object with name Bafi and age 33");
        assertArrayEquals(vector, SparseEmbeddings.read(SparseEmbeddings.write(vector)));
        ObjectNode broken = SparseEmbeddings.write(vector);
        ((ArrayNode) broken.get("index")).set(0, IntNode.valueOf(512));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparseEmbeddings.read(broken));
        assertTrue(e.getMessage().startsWith("entry 0 (512, "), e.getMessage());
    }

    @Test
    void output_validity_is_one_json_value_and_the_gates_schema_when_it_has_one() {
        OutputValidity json = new OutputValidity();
        assertTrue(json.isValid("{\"a\": [1, 2]}"));
        assertTrue(json.isValid("  42 "));
        assertFalse(json.isValid("{\"a\": 1"));
        assertFalse(json.isValid("{\"a\": 1} trailing"));
        assertFalse(json.isValid(""));
        assertFalse(json.isValid(null));
        assertFalse(json.isValid("[NaN]"));
        assertFalse(json.isValid("/* c */ 1"));
        assertTrue(OutputValidity.isJson(" [1]\n"));
        assertFalse(OutputValidity.isJson("[1] [2]"));
        assertEquals(1, OutputValidity.parseJson("{\"a\": 1}").orElseThrow().path("a").asInt());
        OutputValidity withSchema = new OutputValidity(node -> node.has("answer"));
        assertTrue(withSchema.isValid("{\"answer\": \"yes\"}"));
        assertFalse(withSchema.isValid("{\"reply\": \"yes\"}"));
    }

    @Test
    void a_token_id_outside_the_vocabulary_is_refused_saying_which() {
        VocabularyHistogram histogram = new VocabularyHistogram(10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> histogram.add(new int[] {3, 12}));
        assertEquals("token id 12 is outside the vocabulary of size 10 (was the sample tokenized with another"
                + " tokenizer?)", e.getMessage());
        assertEquals(0, histogram.total());
    }

    @Test
    void murmur3_matches_the_reference_implementations_test_vectors() {
        assertEquals(0, HashedNgrams.murmur3x86(new byte[0], 0));
        assertEquals(0x248bfa47, HashedNgrams.murmur3x86("hello".getBytes(UTF_8), 0));
        assertEquals(0x2e4ff723, HashedNgrams.murmur3x86("The quick brown fox jumps over the lazy dog"
                .getBytes(UTF_8), 0));
    }
}
