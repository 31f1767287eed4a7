package dev.tuneforge.worker.data;

/** How each JSONL line of a data file is shaped (DESIGN §1). */
public enum DataFormat {
    /** {@code {"messages": [{"role", "content", "weight"?}, ...]}}. */
    CHAT,
    /** {@code {"prompt", "completion"}}: loss on the completion only. */
    COMPLETION,
    /** {@code {"instruction", "input"?, "output"}}: read as a user turn and an assistant turn. */
    ALPACA;

    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static DataFormat fromJson(String name) {
        return valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }
}
