package dev.tuneforge.dataset.validation;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;
import java.util.Set;

/** The JSONL layouts a dataset may use. Detection looks at which keys an example has. */
public enum DatasetFormat {
    /** {@code {"messages":[{"role","content","weight"?}]}} */
    CHAT(Set.of("messages"), Set.of("messages", "tools", "parallel_tool_calls", "functions")),
    /** {@code {"instruction","input"?,"output","system"?}} */
    ALPACA(Set.of("instruction", "output"), Set.of("instruction", "input", "output", "system")),
    /** {@code {"prompt","completion"}} */
    COMPLETION(Set.of("prompt", "completion"), Set.of("prompt", "completion")),
    /** {@code {"prompt","chosen","rejected"}}, kept for DPO. */
    PREFERENCE(Set.of("prompt", "chosen", "rejected"), Set.of("prompt", "chosen", "rejected", "system"));

    private final Set<String> signature;
    private final Set<String> known;

    DatasetFormat(Set<String> signature, Set<String> known) {
        this.signature = signature;
        this.known = known;
    }

    public String id() {
        return name().toLowerCase();
    }

    public boolean knows(String key) {
        return known.contains(key);
    }

    public static Optional<DatasetFormat> byId(String id) {
        for (DatasetFormat format : values()) {
            if (format.id().equals(id)) {
                return Optional.of(format);
            }
        }
        return Optional.empty();
    }

    /** The format whose signature keys the object has; preference before completion (it has a prompt too). */
    public static Optional<DatasetFormat> detect(JsonNode object) {
        for (DatasetFormat format : new DatasetFormat[] {CHAT, PREFERENCE, ALPACA, COMPLETION}) {
            if (format.signature.stream().allMatch(object::has)) {
                return Optional.of(format);
            }
        }
        return Optional.empty();
    }
}
