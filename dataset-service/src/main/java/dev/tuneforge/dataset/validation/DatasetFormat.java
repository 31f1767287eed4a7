package dev.tuneforge.dataset.validation;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The JSONL layouts a dataset may use. Detection looks at which keys an example has: each format has one or more
 * signatures, sets of keys an example of it always has.
 */
public enum DatasetFormat {
    /** {@code {"messages":[{"role","content","weight"?}]}} */
    CHAT(List.of(Set.of("messages")), Set.of("messages", "tools", "parallel_tool_calls", "functions")),
    /** {@code {"instruction","input"?,"output","system"?}} */
    ALPACA(List.of(Set.of("instruction", "output")), Set.of("instruction", "input", "output", "system")),
    /** {@code {"prompt","completion"}} */
    COMPLETION(List.of(Set.of("prompt", "completion")), Set.of("prompt", "completion")),
    /**
     * Pairs for DPO, in either of two shapes (a file may mix them): {@code {"prompt","chosen","rejected","system"?}},
     * or OpenAI's DPO format {@code {"input": {"messages": [...]}, "preferred_output": [{"role": "assistant",
     * "content"}], "non_preferred_output": [...]}}. Both become the same example: the prompt's turns, the chosen
     * answer as the assistant turn learned, and the rejected answer beside them.
     */
    PREFERENCE(List.of(Set.of("prompt", "chosen", "rejected"), Set.of(OpenAiPreference.INPUT,
            OpenAiPreference.PREFERRED, OpenAiPreference.NON_PREFERRED)), Set.of("prompt", "chosen", "rejected",
            "system", OpenAiPreference.INPUT, OpenAiPreference.PREFERRED, OpenAiPreference.NON_PREFERRED));

    /** The keys of OpenAI's DPO format. */
    static final class OpenAiPreference {
        static final String INPUT = "input";
        static final String PREFERRED = "preferred_output";
        static final String NON_PREFERRED = "non_preferred_output";

        private OpenAiPreference() {
        }

        /** Whether an example of {@link #PREFERENCE} is in OpenAI's shape (has any of its keys). */
        static boolean shapes(JsonNode object) {
            return object.has(INPUT) || object.has(PREFERRED) || object.has(NON_PREFERRED);
        }
    }

    private final List<Set<String>> signatures;
    private final Set<String> known;

    DatasetFormat(List<Set<String>> signatures, Set<String> known) {
        this.signatures = signatures;
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
            if (format.signatures.stream().anyMatch(signature -> signature.stream().allMatch(object::has))) {
                return Optional.of(format);
            }
        }
        return Optional.empty();
    }
}
