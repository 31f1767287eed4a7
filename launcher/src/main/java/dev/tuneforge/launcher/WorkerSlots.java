package dev.tuneforge.launcher;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A service's slots, {@code name:runtime} (e.g. {@code cpu-0:djl,gpu-0:torch}): one worker per slot at a time.
 * With the local launcher a slot is a device of this node; with {@code kubernetes}, a capacity unit of the GPU
 * node pool. trainer-service runs jobs on its slots and eval-service evaluations on its own.
 */
public final class WorkerSlots {

    /** The runtimes a slot can name: {@link WorkerCommand#djl} and {@link WorkerCommand#torch}. */
    public static final Set<String> RUNTIMES = Set.of("djl", "torch");

    private WorkerSlots() {
    }

    /**
     * Slot name to runtime, in the order given ({@code djl} when a slot names none).
     *
     * @param property the setting, for error messages
     * @throws IllegalStateException for an empty or duplicate name or an unknown runtime
     */
    public static Map<String, String> parse(List<String> slots, String property) {
        Map<String, String> parsed = new LinkedHashMap<>();
        for (String slot : slots) {
            String[] parts = slot.split(":", 2);
            String name = parts[0].strip();
            String runtime = parts.length == 2 ? parts[1].strip() : "djl";
            if (name.isEmpty() || !RUNTIMES.contains(runtime)) {
                throw new IllegalStateException(property + ": expected name:runtime with runtime one of "
                        + RUNTIMES + ", got '" + slot + "'");
            }
            if (parsed.put(name, runtime) != null) {
                throw new IllegalStateException(property + ": slot '" + name + "' is named twice");
            }
        }
        if (parsed.isEmpty()) {
            throw new IllegalStateException(property + ": at least one slot");
        }
        return Collections.unmodifiableMap(parsed);
    }
}
