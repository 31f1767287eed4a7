package dev.tuneforge.dataset.tokens;

import dev.tuneforge.dataset.validation.Example;
import dev.tuneforge.dataset.validation.TokenCounter;
import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.tokenizer.HfTokenizer;

import java.util.List;

/**
 * A base model's tokenizer as a {@link TokenCounter}: an example counts the tokens of its messages
 * rendered with the model's chat template, exactly what training will feed the model.
 *
 * @param contextWindow the model's {@code max_position_embeddings}, null if its config does not say
 */
public record ModelTokenizer(String baseModel, HfTokenizer tokenizer, Integer contextWindow) implements TokenCounter {

    @Override
    public int count(Example example) {
        List<ChatMessage> messages = example.messages().stream()
                .map(m -> new ChatMessage(m.role(), m.content()))
                .toList();
        return tokenizer.encodeChat(messages, false).length;
    }
}
