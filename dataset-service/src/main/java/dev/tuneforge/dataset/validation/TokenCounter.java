package dev.tuneforge.dataset.validation;

import java.util.List;

/**
 * Tokens of an example as the model will see them: rendered with the base model's chat template and
 * encoded with its tokenizer.
 */
@FunctionalInterface
public interface TokenCounter {

    int count(Example example);

    /**
     * The tokens of each example, in order, as {@link #count} gives them. The validator hands over a batch
     * at a time so that an implementation can tokenise in one call spread over the cores; by default the
     * examples are counted one by one.
     */
    default int[] countAll(List<Example> examples) {
        int[] counts = new int[examples.size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = count(examples.get(i));
        }
        return counts;
    }
}
