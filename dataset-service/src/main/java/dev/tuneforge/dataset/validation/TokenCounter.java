package dev.tuneforge.dataset.validation;

/**
 * Tokens of an example as the model will see them: rendered with the base model's chat template and
 * encoded with its tokenizer.
 */
@FunctionalInterface
public interface TokenCounter {

    int count(Example example);
}
