package dev.tuneforge.worker.data;

import java.util.List;

/**
 * One row of a batch: the indices of the examples laid end to end in it. Without packing a row holds
 * one example; with packing, as many as fit in {@code max_seq_length} tokens.
 */
public record Row(List<Integer> examples) {
    public Row {
        examples = List.copyOf(examples);
    }
}
