package dev.tuneforge.eval.drift;

import dev.tuneforge.drift.DriftThresholds;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How one model's windows are cut and judged: from its pipeline's triggers {@code drift_window}
 * ({@code {"observations": N}} or {@code {"seconds": S}}) and {@code drift_thresholds} (the snake-case names of
 * {@link DriftThresholds}' fields, each over its default), else the service's defaults.
 *
 * @param observations the window's size by count, or 0 when it is cut by time
 * @param seconds      the window's length by time, or 0 when it is cut by count
 */
public record DriftSettings(long observations, long seconds, DriftThresholds thresholds) {

    public DriftSettings {
        if ((observations > 0) == (seconds > 0)) {
            throw new IllegalArgumentException("a drift window is cut by observations or by seconds, one of them");
        }
    }

    public static DriftSettings defaults(DriftConfig config) {
        long seconds = config.windowSeconds().orElse(0L);
        return new DriftSettings(seconds > 0 ? 0 : config.windowObservations(), seconds, DriftThresholds.defaults());
    }

    /**
     * A pipeline's settings over the defaults.
     *
     * @throws IllegalArgumentException naming the trigger field that is wrong
     */
    public static DriftSettings of(Map<String, Object> triggers, DriftSettings defaults) {
        long observations = defaults.observations();
        long seconds = defaults.seconds();
        if (triggers.get("drift_window") instanceof Map<?, ?> window) {
            if (window.size() != 1 || !(window.containsKey("observations") || window.containsKey("seconds"))) {
                throw new IllegalArgumentException("drift_window: must be {\"observations\": N} or {\"seconds\": S}, got "
                        + window);
            }
            boolean byCount = window.containsKey("observations");
            Object value = byCount ? window.get("observations") : window.get("seconds");
            if (!(value instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < 1) {
                throw new IllegalArgumentException("drift_window." + (byCount ? "observations" : "seconds")
                        + ": must be a whole number >= 1, got " + value);
            }
            observations = byCount ? n.longValue() : 0;
            seconds = byCount ? 0 : n.longValue();
        } else if (triggers.get("drift_window") != null) {
            throw new IllegalArgumentException("drift_window: must be an object, got " + triggers.get("drift_window"));
        }
        DriftThresholds thresholds = defaults.thresholds();
        Object given = triggers.get("drift_thresholds");
        if (given instanceof Map<?, ?> map) {
            thresholds = thresholds(map, thresholds);
        } else if (given != null) {
            throw new IllegalArgumentException("drift_thresholds: must be an object, got " + given);
        }
        return new DriftSettings(observations, seconds, thresholds);
    }

    /**
     * The thresholds under the names a pipeline's {@code drift_thresholds} gives them (snake case, in the record's
     * order): what a window's report writes, so that it reads back as a trigger.
     */
    static Map<String, Object> named(DriftThresholds thresholds) {
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            for (RecordComponent c : DriftThresholds.class.getRecordComponents()) {
                out.put(name(c), c.getAccessor().invoke(thresholds));
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** A field's snake-case name: {@code ksAlpha} is {@code ks_alpha}. */
    private static String name(RecordComponent c) {
        return c.getName().replaceAll("([A-Z])", "_$1").toLowerCase(Locale.ROOT);
    }

    /** {@code base} with the fields {@code given} names (snake case) replaced; every unknown name is refused. */
    static DriftThresholds thresholds(Map<?, ?> given, DriftThresholds base) {
        RecordComponent[] components = DriftThresholds.class.getRecordComponents();
        Map<String, Object> unused = new HashMap<>();
        given.forEach((k, v) -> unused.put(String.valueOf(k), v));
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        List<String> known = new ArrayList<>();
        try {
            for (int i = 0; i < components.length; i++) {
                RecordComponent c = components[i];
                String name = name(c);
                known.add(name);
                types[i] = c.getType();
                Object value = unused.remove(name);
                if (value == null) {
                    args[i] = c.getAccessor().invoke(base);
                } else if (!(value instanceof Number n)) {
                    throw new IllegalArgumentException("drift_thresholds." + name + ": must be a number, got " + value);
                } else if (c.getType() == int.class) {
                    if (n.doubleValue() != n.intValue()) {
                        throw new IllegalArgumentException("drift_thresholds." + name + ": must be a whole number, got "
                                + value);
                    }
                    args[i] = n.intValue();
                } else {
                    args[i] = n.doubleValue();
                }
            }
            if (!unused.isEmpty()) {
                throw new IllegalArgumentException("drift_thresholds." + unused.keySet().iterator().next()
                        + ": unknown (known: " + String.join(", ", known) + ")");
            }
            Constructor<DriftThresholds> constructor = DriftThresholds.class.getDeclaredConstructor(types);
            return constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof IllegalArgumentException iae
                    ? new IllegalArgumentException("drift_thresholds: " + iae.getMessage(), iae)
                    : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
