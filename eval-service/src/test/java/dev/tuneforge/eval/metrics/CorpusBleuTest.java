package dev.tuneforge.eval.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** BLEU against numbers produced by sacreBLEU itself (reference/make_reference.py). */
class CorpusBleuTest {

    // Acceptance asks for 0.01 BLEU points; the port is operation-for-operation, so hold it far tighter.
    private static final double TOLERANCE = 1e-9;

    @Test
    void corpusBleuEqualsSacrebleuOnTheReferenceCorpus() {
        assertTrue(ReferenceData.CORPUS.size() >= 100);
        BleuScore bleu = CorpusBleu.score(ReferenceData.hyps(), ReferenceData.refs());
        assertMatches(ReferenceData.REFERENCE.get("corpus_bleu"), bleu, "corpus");
    }

    @Test
    void lowercasedCorpusBleuEqualsSacrebleu() {
        BleuScore bleu = CorpusBleu.score(ReferenceData.hyps(), List.of(ReferenceData.refs()),
                CorpusBleu.Options.CORPUS.withLowercase(true));
        assertMatches(ReferenceData.REFERENCE.get("corpus_bleu_lowercase"), bleu, "corpus lc");
    }

    @Test
    void sentenceBleuEqualsSacrebleuForEveryPair() {
        for (JsonNode pair : ReferenceData.REFERENCE.get("pairs")) {
            ReferenceData.Pair p = ReferenceData.CORPUS.get(pair.get("id").asInt());
            BleuScore bleu = CorpusBleu.sentenceScore(p.hyp(), p.ref());
            assertMatches(pair.get("sentence_bleu"), bleu, "pair " + p.id() + " " + p);
        }
    }

    @Test
    void multiReferenceExampleFromTheSacrebleuReadme() {
        JsonNode example = ReferenceData.REFERENCE.get("readme_multi_ref");
        List<String> hyps = strings(example.get("hyps"));
        List<List<String>> refs = new ArrayList<>();
        example.get("refs").forEach(stream -> refs.add(strings(stream)));
        BleuScore bleu = CorpusBleu.score(hyps, refs, CorpusBleu.Options.CORPUS);
        assertMatches(example.get("bleu"), bleu, "readme");
        // Published in sacreBLEU's README: "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ...)".
        assertEquals(48.53, bleu.score(), 0.005);
        assertEquals(0.943, bleu.bp(), 0.0005);
    }

    @Test
    void identicalSentenceScores100AndDisjointScores0() {
        assertEquals(100.0, CorpusBleu.sentenceScore("The cat sat on the mat.", "The cat sat on the mat.").score(),
                1e-12);
        assertEquals(0.0, CorpusBleu.sentenceScore("completely different", "nothing in common").score());
        assertEquals(0.0, CorpusBleu.sentenceScore("", "an empty hypothesis").score());
    }

    @Test
    void segmentWithoutReferenceIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> CorpusBleu.score(List.of("a"), List.of("")));
        assertThrows(IllegalArgumentException.class, () -> CorpusBleu.score(List.of("a", "b"), List.of("a")));
    }

    static void assertMatches(JsonNode expected, BleuScore actual, String what) {
        assertEquals(expected.get("score").asDouble(), actual.score(), TOLERANCE, what + " score");
        assertEquals(expected.get("bp").asDouble(), actual.bp(), TOLERANCE, what + " bp");
        assertEquals(expected.get("sys_len").asLong(), actual.sysLen(), what + " sys_len");
        assertEquals(expected.get("ref_len").asLong(), actual.refLen(), what + " ref_len");
        for (int n = 0; n < CorpusBleu.MAX_ORDER; n++) {
            assertEquals(expected.get("counts").get(n).asLong(), actual.counts().get(n), what + " counts " + n);
            assertEquals(expected.get("totals").get(n).asLong(), actual.totals().get(n), what + " totals " + n);
            assertEquals(expected.get("precisions").get(n).asDouble(), actual.precisions().get(n), TOLERANCE,
                    what + " precision " + n);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
