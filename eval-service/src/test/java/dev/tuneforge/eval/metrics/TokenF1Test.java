package dev.tuneforge.eval.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SQuAD v2.0 evaluate script semantics; values computed by hand from its definitions. */
class TokenF1Test {

    @Test
    void normalizationFollowsSquad() {
        assertEquals("denver broncos", TokenF1.normalize("The Denver Broncos!"));
        assertEquals("theory of relativity", TokenF1.normalize("  a Theory, of  Relativity. "));
        // Articles only as whole words; punctuation is removed before, so "the-end" -> "theend".
        assertEquals("theater another theend", TokenF1.normalize("theater another the-end"));
    }

    @Test
    void f1OnTokenMultisets() {
        assertEquals(1.0, TokenF1.score("the Denver Broncos", "Denver Broncos"), 1e-15);
        // P = 1/1, R = 1/2 -> 2/3
        assertEquals(2.0 / 3, TokenF1.score("Denver", "Denver Broncos"), 1e-15);
        // pred {san, francisco, bay, area} vs gold {san, francisco}: P = 1/2, R = 1 -> 2/3
        assertEquals(2.0 / 3, TokenF1.score("San Francisco Bay Area", "San Francisco"), 1e-15);
        // repeated tokens are clipped: "x x y" vs "x y y" share min(2,1) + min(1,2) = 2, P = R = 2/3
        assertEquals(2.0 / 3, TokenF1.score("x x y", "x y y"), 1e-15);
        assertEquals(0.0, TokenF1.score("Broncos", "Panthers"));
    }

    @Test
    void emptyAnswersFollowSquadV2() {
        assertEquals(1.0, TokenF1.score("", ""));
        assertEquals(1.0, TokenF1.score("the", "a"));   // both normalise to nothing
        assertEquals(0.0, TokenF1.score("", "Denver"));
        assertEquals(0.0, TokenF1.score("Denver", ""));
    }

    @Test
    void bestOfSeveralGoldsAndMacroAverage() {
        assertEquals(1.0, TokenF1.score("Denver", List.of("Denver Broncos", "Denver")), 1e-15);
        assertEquals((1.0 + 2.0 / 3 + 0.0) / 3,
                TokenF1.macro(List.of("Denver Broncos", "Denver", "x"), List.of("the Denver Broncos",
                        "Denver Broncos", "y")), 1e-15);
        assertTrue(TokenF1.exactMatch("The Denver Broncos.", "denver broncos"));
    }
}
