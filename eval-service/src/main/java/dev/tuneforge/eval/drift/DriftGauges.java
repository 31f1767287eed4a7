package dev.tuneforge.eval.drift;

import dev.tuneforge.drift.MetricResult;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest window's drift per model version and metric, for Prometheus: {@code tuneforge_drift_score} (the score
 * compared with the threshold), {@code tuneforge_drift_crossed} (1 or 0) and {@code tuneforge_output_validity_rate}
 * (the window's share of valid completions). Each gauge is registered once, at its first window, and updated by
 * every later one; a non-finite score reads as NaN (Prometheus has no infinity for a gauge's absence either).
 * {@code tuneforge_drift_triggers_unreadable_total} counts the pipelines configured with drift triggers eval-service
 * cannot read ({@link DriftWindows#pipelineConfigured}), whose windows use the service's defaults.
 */
@ApplicationScoped
public class DriftGauges {

    public static final String SCORE = "tuneforge.drift.score";
    public static final String CROSSED = "tuneforge.drift.crossed";
    public static final String VALIDITY = "tuneforge.output.validity.rate";
    public static final String UNREADABLE_TRIGGERS = "tuneforge.drift.triggers.unreadable";

    /** A gauge's current value. */
    private static final class Value {
        private volatile double value = Double.NaN;
    }

    private final MeterRegistry registry;
    private final Map<String, Value> values = new ConcurrentHashMap<>();

    public DriftGauges(MeterRegistry registry) {
        this.registry = registry;
    }

    public void window(String projectId, String modelName, int version, Iterable<MetricResult> metrics,
                       double validityRate) {
        Tags versionTags = Tags.of("project", projectId, "model", modelName, "version", String.valueOf(version));
        for (MetricResult m : metrics) {
            Tags tags = versionTags.and("metric", DriftWindows.name(m.metric()));
            set(SCORE, tags, Double.isFinite(m.score()) ? m.score() : Double.NaN);
            set(CROSSED, tags, m.crossed() ? 1 : 0);
        }
        set(VALIDITY, versionTags, validityRate);
    }

    public void unreadableTriggers(String projectId, String modelName, String pipelineId) {
        registry.counter(UNREADABLE_TRIGGERS, "project", projectId, "model", modelName, "pipeline", pipelineId)
                .increment();
    }

    private void set(String name, Tags tags, double value) {
        values.computeIfAbsent(name + tags, k -> {
            Value v = new Value();
            Gauge.builder(name, v, x -> x.value).tags(tags).register(registry);
            return v;
        }).value = value;
    }
}
