package dev.tuneforge.dataset.domain;

import java.util.List;

/**
 * What a first pass over a JSONL upload found: how many examples, which lines are not JSON objects,
 * and the sha256 of the bytes. The full OpenAI-style validation builds on this.
 *
 * @param badLines the first few line numbers (1-based) that are not a JSON object
 */
public record LineCheck(long examples, long badLineCount, List<Long> badLines, String sha256) {

    public boolean accepted() {
        return badLineCount == 0 && examples > 0;
    }

    public String reason() {
        if (examples == 0 && badLineCount == 0) {
            return "the file has no examples";
        }
        return badLineCount + " line(s) are not a JSON object (first: " + badLines + ")";
    }
}
