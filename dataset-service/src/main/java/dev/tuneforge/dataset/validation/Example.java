package dev.tuneforge.dataset.validation;

import java.util.List;

/**
 * A valid example, normalised to messages so one chat template renders every format. For preference
 * data, {@code messages} ends with the chosen answer and {@code rejected} holds the other one.
 *
 * @param line the 1-based line of the source file
 */
public record Example(long line, List<Message> messages, String rejected) {
}
