package dev.tuneforge.eval.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GateTest {

    @Test
    void theDefaultGateWantsBetterThanBaseAndNoWorseThanTheChampion() {
        Gate gate = Gate.defaults();
        Map<String, Double> base = Map.of("exact_match", 0.10, "loss", 2.0);
        Gate.Decision noChampion = gate.decide(Map.of("exact_match", 0.9, "loss", 0.3), base, null);
        assertTrue(noChampion.passed());
        assertTrue(noChampion.results().get(2).skipped(), "no champion yet");

        Gate.Decision worseThanChampion = gate.decide(Map.of("exact_match", 0.8, "loss", 0.3), base,
                Map.of("exact_match", 0.85, "loss", 0.2));
        assertFalse(worseThanChampion.passed());
        assertEquals("exact_match 0.8 < champion 0.85", worseThanChampion.reason());

        Gate.Decision barely = gate.decide(Map.of("exact_match", 0.12, "loss", 2.5), base, null);
        assertEquals("exact_match 0.12 < base 0.1 + 0.05 = 0.15; loss 2.5 > base 2.0", barely.reason());
    }

    @Test
    void aPipelineGateWithThresholdsSchemaAndForgetting() {
        Gate gate = Gate.fromJson(Map.of(
                "rules", List.of(Map.of("metric", "exact_match", "op", ">=", "value", 0.8),
                        Map.of("metric", "perplexity", "op", "<=", "baseline", "base")),
                "json_schema", Map.of("type", "object"),
                "forgetting", Map.of("dataset_id", "ds_general", "dataset_version", 2, "max_loss_increase", 0.25)));
        assertEquals(new Gate.Forgetting("ds_general", 2), gate.forgetting());
        assertEquals("exact_match >= 0.8 and perplexity <= base and general.loss <= base + 0.25", gate.describe());
        Gate.Decision d = gate.decide(Map.of("exact_match", 0.9, "perplexity", 1.5, "general.loss", 3.5),
                Map.of("exact_match", 0.0, "perplexity", 9.0, "general.loss", 3.0), null);
        assertFalse(d.passed());
        assertEquals("general.loss 3.5 > base 3.0 + 0.25 = 3.25", d.reason());
        assertTrue(gate.jsonSchema().has("type"));
    }

    @Test
    void onPreferencePairsTheDefaultGateWantsMorePairsRightThanTheBaseAndAPositiveRewardMargin() {
        Gate gate = Gate.fromJson(null, true);
        assertEquals("preference_accuracy >= base + 0.05 and reward_margin > 0.0 and preference_accuracy >= champion",
                gate.describe());
        Map<String, Double> base = Map.of("preference_accuracy", 0.5);
        assertTrue(gate.decide(Map.of("preference_accuracy", 0.9, "reward_margin", 0.4), base, null).passed());
        assertEquals("preference_accuracy 0.52 < base 0.5 + 0.05 = 0.55; reward_margin -0.1 <= 0.0",
                gate.decide(Map.of("preference_accuracy", 0.52, "reward_margin", -0.1), base, null).reason());
        assertEquals(Gate.defaults().describe(), Gate.fromJson(null, false).describe());
    }

    @Test
    void aPreferenceSectionAddsAMinimumAccuracyAndAMinimumGainOverTheBase() {
        Gate gate = Gate.fromJson(Map.of("rules", List.of(Map.of("metric", "loss", "op", "<=", "value", 5.0)),
                "preference", Map.of("min_accuracy", 0.9, "min_gain_over_base", 0.2)), true);
        assertEquals("loss <= 5.0 and preference_accuracy >= 0.9 and preference_accuracy >= base + 0.2",
                gate.describe());
        Gate.Decision d = gate.decide(Map.of("loss", 1.0, "preference_accuracy", 0.85),
                Map.of("loss", 1.0, "preference_accuracy", 0.5), null);
        assertEquals("preference_accuracy 0.85 < 0.9", d.reason());
        assertEquals("preference_accuracy >= base + 0.05 and reward_margin > 0.0 and preference_accuracy >= champion"
                        + " and preference_accuracy >= 0.95",
                Gate.fromJson(Map.of("preference", Map.of("min_accuracy", 0.95)), true).describe(),
                "without rules of its own the section adds to the defaults");
        assertEquals("preference.min_accuracy: must be a number from 0 to 1, got 90", assertThrows(
                IllegalArgumentException.class, () -> Gate.fromJson(Map.of("preference", Map.of("min_accuracy", 90)),
                        true)).getMessage());
        assertEquals("preference.beats_base: unknown (known: min_accuracy, min_gain_over_base)", assertThrows(
                IllegalArgumentException.class, () -> Gate.fromJson(Map.of("preference", Map.of("beats_base", true)),
                        true)).getMessage());
    }

    @Test
    void theFewShotSectionSetsKAndAddsAMinimumGainOverThePromptedBaseModel() {
        assertEquals(3, Gate.defaults().fewShots(), "three training examples unless the gate says");
        assertEquals(3, Gate.fromJson(Map.of("rules", List.of())).fewShots());
        Gate gate = Gate.fromJson(Map.of("rules", List.of(), "few_shot", Map.of("k", 5, "min_gain", 0.1)));
        assertEquals(5, gate.fewShots());
        assertEquals("exact_match >= few_shot + 0.1", gate.describe());
        Map<String, Double> candidate = Map.of("exact_match", 0.55);
        assertEquals("exact_match 0.55 < few_shot 0.5 + 0.1 = 0.6",
                gate.decide(candidate, Map.of("exact_match", 0.0), null, Map.of("exact_match", 0.5)).reason());
        Gate.Decision withoutFewShot = gate.decide(candidate, Map.of("exact_match", 0.0), null, null);
        assertTrue(withoutFewShot.passed());
        assertEquals("exact_match >= few_shot + 0.1: skipped, no few-shot result",
                withoutFewShot.results().getFirst().explanation());
        assertEquals("preference_accuracy >= few_shot", Gate.fromJson(Map.of("rules", List.of(),
                "few_shot", Map.of("min_gain", 0)), true).describe(), "on pairs, the pairs' accuracy");
        assertEquals(0, Gate.fromJson(Map.of("few_shot", Map.of("k", 0))).fewShots(), "k 0: no few-shot baseline");
        assertEquals(Gate.defaults().describe(), Gate.fromJson(Map.of("few_shot", Map.of("k", 2))).describe());
    }

    @Test
    void aFewShotSectionEvalServiceCannotApplyIsRefusedNamingTheField() {
        assertEquals("few_shot.k: must be an integer from 0 to 16, got 2.5", assertThrows(IllegalArgumentException.class,
                () -> Gate.fromJson(Map.of("few_shot", Map.of("k", 2.5)))).getMessage());
        assertEquals("few_shot.k: must be an integer from 0 to 16, got 17", assertThrows(IllegalArgumentException.class,
                () -> Gate.fromJson(Map.of("few_shot", Map.of("k", 17)))).getMessage());
        assertEquals("few_shot.must_beat: unknown (known: k, min_gain)", assertThrows(IllegalArgumentException.class,
                () -> Gate.fromJson(Map.of("few_shot", Map.of("must_beat", true)))).getMessage());
        assertEquals("few_shot.min_gain: needs the few-shot baseline, which k 0 turns off",
                assertThrows(IllegalArgumentException.class,
                        () -> Gate.fromJson(Map.of("few_shot", Map.of("k", 0, "min_gain", 0.1)))).getMessage());
    }

    @Test
    void aGateWhoseSchemaReachesOutsideItselfIsRefusedSayingWhere() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> Gate.fromJson(Map.of("json_schema", Map.of("$ref", "file:///etc/passwd"))));
        assertEquals("json_schema: $ref 'file:///etc/passwd' at the top level points outside the schema: only"
                + " references within it (#/...) are allowed", refused.getMessage());
    }

    @Test
    void badRulesAreRefusedWithWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new Gate.Rule("exact_match", "=>", 0.5, null, 0)).getMessage().contains("op must be one of"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new Gate.Rule("exact_match", ">=", null, "parent", 0)).getMessage().contains("base, champion or few_shot"));
    }
}
