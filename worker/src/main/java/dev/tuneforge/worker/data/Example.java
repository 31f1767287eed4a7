package dev.tuneforge.worker.data;

import dev.tuneforge.tokenizer.ChatMessage;
import java.util.ArrayList;
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

    /**
     * A DPO pair: the conversation before the answer, the preferred answer and the rejected one. Each answer is
     * learnt as the chat format learns an assistant turn, so {@link #chosenChat()} is also what evaluation
     * scores and generates against.
     */
    record Preference(List<ChatMessage> prompt, String chosen, String rejected) implements Example {
        public Preference {
            prompt = List.copyOf(prompt);
        }

        /** The prompt with the chosen answer as its one trained assistant turn. */
        public Chat chosenChat() {
            return answered(chosen);
        }

        /** The prompt with the rejected answer as its one trained assistant turn. */
        public Chat rejectedChat() {
            return answered(rejected);
        }

        private Chat answered(String answer) {
            List<Turn> turns = new ArrayList<>();
            prompt.forEach(m -> turns.add(new Turn(m, false)));
            turns.add(new Turn(ChatMessage.assistant(answer), true));
            return new Chat(turns);
        }
    }
}
