package dev.tuneforge.trainer.pipelines;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A pipeline's {@code triggers.on_drift} as trainer-service applies it: which drift metrics start it (null: any), what
 * it then does, and how long it rests after acting. The gateway has checked the values ({@code Pipelines}); this
 * reads them with their defaults, so a trigger written by an older gateway still means what its fields say.
 *
 * @param metrics         the metrics (snake case, as {@code DriftDetected.detected} names them) that start it; null
 *                        means any
 * @param actions         {@link Action}s in the order given; default retrain alone
 * @param cooldownSeconds after acting, DriftDetected events within this many seconds are skipped (audited as such)
 */
public record OnDrift(List<String> metrics, List<Action> actions, long cooldownSeconds) {

    /** A day's quarter: one retraining per drift episode at most, even when several metrics open one in turn. */
    public static final long DEFAULT_COOLDOWN_SECONDS = 21_600;

    public enum Action {
        RETRAIN, EXPORT_REVIEW;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The {@code on_drift} section of a pipeline's triggers, if it has one. */
    public static Optional<OnDrift> of(Map<String, Object> triggers) {
        if (triggers == null || !(triggers.get("on_drift") instanceof Map<?, ?> section)) {
            return Optional.empty();
        }
        List<String> metrics = null;
        if (section.get("metrics") instanceof List<?> names) {
            metrics = names.stream().map(String::valueOf).toList();
        }
        List<Action> actions = new ArrayList<>();
        if (section.get("actions") instanceof List<?> names) {
            names.forEach(name -> actions.add(Action.valueOf(String.valueOf(name).toUpperCase(java.util.Locale.ROOT))));
        }
        long cooldown = section.get("cooldown_seconds") instanceof Number n ? n.longValue() : DEFAULT_COOLDOWN_SECONDS;
        return Optional.of(new OnDrift(metrics, actions.isEmpty() ? List.of(Action.RETRAIN) : List.copyOf(actions),
                cooldown));
    }

    /** The detected metrics this trigger answers to; empty when it does not fire. */
    public List<String> matching(List<String> detected) {
        if (detected == null) {
            return List.of();
        }
        return metrics == null ? List.copyOf(detected) : detected.stream().filter(metrics::contains).toList();
    }
}
