package dev.tuneforge.kit.naming;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Not a @QuarkusTest: the rules are plain functions of a string. */
class NamesTest {

    @Test
    void aNameIsOneSafeSegmentOfAKeyAndOfAModelReference() {
        for (String good : List.of("tiny-llama", "qwen2.5-0.5b", "support_v2", "2024q1", "a", "x".repeat(64))) {
            assertTrue(Names.isName(good), good);
        }
        for (String bad : List.of("", "..", ".", "../etc", "a/b", "-a", ".hidden", "Upper", "a b", "m:1", "m@prod",
                "x".repeat(65), "naïve")) {
            assertFalse(Names.isName(bad), bad);
        }
        assertFalse(Names.isName(null));
    }

    @Test
    void aProblemNamesTheFieldTheRuleAndTheValue() {
        assertEquals(Optional.of("base_model: must be 1-64 characters of a-z, 0-9, '.', '_', '-', starting with a"
                + " letter or digit, got '../x' (4 characters)"), Names.nameProblem("base_model", "../x"));
        assertEquals(Optional.empty(), Names.nameProblem("model_name", "support"));
        assertEquals(Optional.of("name: must be 1-64 characters of a-z, 0-9, '.', '_', '-', starting with a letter"
                + " or digit, got nothing"), Names.nameProblem("name", null));
    }

    @Test
    void previousChampionIsAnAliasNoPromotionSets() {
        assertEquals(Optional.empty(), Names.aliasProblem("alias", "staging.v2"));
        assertTrue(Names.aliasProblem("alias", "previous-champion").orElseThrow().contains("the registry moves it"));
        assertTrue(Names.aliasProblem("alias", "Prod").isPresent());
    }

    @Test
    void aLabelIsFreeTextOnOneLine() {
        assertEquals(Optional.empty(), Names.labelProblem("name", "Support Tickets v2 (März)"));
        assertEquals(Optional.of("name: must not contain control characters (line breaks, tabs), got"
                + " 'a\\u000ab' (3 characters)"), Names.labelProblem("name", "a\nb"));
        assertTrue(Names.labelProblem("name", " ").isPresent());
        assertTrue(Names.labelProblem("name", "x".repeat(201)).orElseThrow().contains("(201 characters)"));
    }
}
