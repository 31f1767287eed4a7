package dev.tuneforge.eval.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** ROUGE-L against rouge_score's RougeScorer(['rougeL']) and the Porter stemmer against NLTK's. */
class RougeLTest {

    private static final double TOLERANCE = 1e-12;

    @Test
    void equalsRougeScoreWithoutStemmer() {
        for (JsonNode pair : ReferenceData.REFERENCE.get("pairs")) {
            ReferenceData.Pair p = ReferenceData.CORPUS.get(pair.get("id").asInt());
            assertScore(pair.get("rougeL"), RougeL.score(p.hyp(), p.ref()), "pair " + p);
        }
    }

    @Test
    void equalsRougeScoreWithStemmer() {
        for (JsonNode pair : ReferenceData.REFERENCE.get("pairs")) {
            ReferenceData.Pair p = ReferenceData.CORPUS.get(pair.get("id").asInt());
            assertScore(pair.get("rougeL_stemmed"), RougeL.score(p.hyp(), p.ref(), true), "pair " + p);
        }
    }

    @Test
    void porterStemmerEqualsNltk() {
        Iterator<Map.Entry<String, JsonNode>> it = ReferenceData.REFERENCE.get("porter_stems").fields();
        int checked = 0;
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            assertEquals(e.getValue().asText(), PorterStemmer.stem(e.getKey()), e.getKey());
            checked++;
        }
        assertEquals(ReferenceData.REFERENCE.get("porter_stems").size(), checked);
    }

    @Test
    void docstringExampleOfRougeScorer() {
        // rouge_scorer.py docstring: score('The quick brown fox jumps over the lazy dog',
        // 'The quick brown dog jumps on the log.') -> LCS 5 of 9 target / 8 prediction tokens.
        RougeL.Score s = RougeL.score("The quick brown dog jumps on the log.",
                "The quick brown fox jumps over the lazy dog");
        assertEquals(5.0 / 8, s.precision(), TOLERANCE);
        assertEquals(5.0 / 9, s.recall(), TOLERANCE);
        assertEquals(10.0 / 17, s.fmeasure(), TOLERANCE);
    }

    @Test
    void emptySideScoresZeroAndMeanIsMacro() {
        assertEquals(new RougeL.Score(0, 0, 0), RougeL.score("", "reference"));
        assertEquals(0.5, RougeL.meanF(List.of("a b", "x"), List.of("a b", "y"), false), TOLERANCE);
    }

    private static void assertScore(JsonNode expected, RougeL.Score actual, String what) {
        assertEquals(expected.get("precision").asDouble(), actual.precision(), TOLERANCE, what + " precision");
        assertEquals(expected.get("recall").asDouble(), actual.recall(), TOLERANCE, what + " recall");
        assertEquals(expected.get("fmeasure").asDouble(), actual.fmeasure(), TOLERANCE, what + " fmeasure");
    }
}
