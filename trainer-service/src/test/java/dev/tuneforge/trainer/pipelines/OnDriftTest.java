package dev.tuneforge.trainer.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tuneforge.trainer.pipelines.OnDrift.Action;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Not a @QuarkusTest: how an on_drift section reads and which detected metrics it answers to is plain logic. */
class OnDriftTest {

    @Test
    void anEmptySectionRetrainsOnAnyMetricWithTheDefaultCooldown() {
        OnDrift any = OnDrift.of(Map.of("on_drift", Map.of())).orElseThrow();
        assertEquals(new OnDrift(null, List.of(Action.RETRAIN), OnDrift.DEFAULT_COOLDOWN_SECONDS), any);
        assertEquals(List.of("prompt_length_ks", "output_validity_rate"),
                any.matching(List.of("prompt_length_ks", "output_validity_rate")));
    }

    @Test
    void namedMetricsAnswerOnlyToThoseAndActionsKeepTheirOrder() {
        OnDrift some = OnDrift.of(Map.of("min_new_examples", 5, "on_drift", Map.of(
                "metrics", List.of("output_validity_rate", "prompt_length_psi"),
                "actions", List.of("export_review", "retrain"), "cooldown_seconds", 0))).orElseThrow();
        assertEquals(List.of(Action.EXPORT_REVIEW, Action.RETRAIN), some.actions());
        assertEquals(0, some.cooldownSeconds());
        assertEquals(List.of("prompt_length_psi"), some.matching(List.of("prompt_length_ks", "prompt_length_psi")));
        assertEquals(List.of(), some.matching(List.of("completion_vocabulary_js")));
        assertEquals(List.of(), some.matching(null));
    }

    @Test
    void aPipelineWithoutTheSectionHasNoDriftTrigger() {
        assertEquals(Optional.empty(), OnDrift.of(Map.of("min_new_examples", 5)));
        assertEquals(Optional.empty(), OnDrift.of(null));
    }
}
