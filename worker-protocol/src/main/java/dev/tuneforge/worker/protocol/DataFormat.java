package dev.tuneforge.worker.protocol;

/** How each JSONL line of a data file is shaped (DESIGN §1); {@code data.format} of a spec. */
public enum DataFormat {
    /** {@code {"messages": [{"role", "content", "weight"?}, ...]}}. */
    CHAT,
    /** {@code {"prompt", "completion"}}: loss on the completion only. */
    COMPLETION,
    /** {@code {"instruction", "input"?, "output"}}: read as a user turn and an assistant turn. */
    ALPACA,
    /**
     * Pairs for DPO: {@code {"messages": [..., chosen assistant turn], "rejected"}} (dataset-service's splits) or
     * {@code {"prompt", "chosen", "rejected", "system"?}}.
     */
    PREFERENCE;

    /** {@code chat}, {@code completion}, {@code alpaca}, {@code preference}. */
    public String wireName() {
        return WireNames.of(this);
    }
}
