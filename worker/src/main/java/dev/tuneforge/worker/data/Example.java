package dev.tuneforge.worker.data;

import dev.tuneforge.tokenizer.ChatMessage;
import java.util.List;

/** One training or evaluation example as read from a data file, before tokenization. */
public sealed interface Example {

    /** A conversation; the loss covers the assistant turns marked trained. */
    record Chat(List<Turn> turns) implements Example {
        public Chat {
            turns = List.copyOf(turns);
        }

        public List<ChatMessage> messages() {
            return turns.stream().map(Turn::message).toList();
        }
    }

    /**
     * One message; {@code trained} only for assistant turns whose {@code weight} is 1 (the default),
     * as OpenAI's chat fine-tuning format defines it.
     */
    record Turn(ChatMessage message, boolean trained) { }

    /** Raw text: the loss covers the completion (and the end-of-sequence token after it). */
    record Completion(String prompt, String completion) implements Example { }
}
