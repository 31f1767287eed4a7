package dev.tuneforge.dataset.tokens;

import dev.tuneforge.dataset.validation.Example;
import dev.tuneforge.dataset.validation.TokenCounter;
import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.tokenizer.HfTokenizer;

import java.util.List;

/**
 * A base model's tokenizer as a {@link TokenCounter}: an example counts the tokens of its messages
 * rendered with the model's chat template, exactly what training will feed the model. A batch is
 * rendered on the common fork-join pool (each example once) and encoded in one call to the Rust
 * library, which spreads it over the cores.
 *
 * @param contextWindow the model's {@code max_position_embeddings}, null if its config does not say
 */
public record ModelTokenizer(String baseModel, HfTokenizer tokenizer, Integer contextWindow) implements TokenCounter {

    @Override
    public int count(Example example) {
        return tokenizer.encode(render(example), false).length;
    }

    @Override
    public int[] countAll(List<Example> examples) {
        List<String> rendered = examples.parallelStream().map(this::render).toList();
        long[][] ids = tokenizer.encodeBatch(rendered, false);
        int[] counts = new int[ids.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = ids[i].length;
        }
        return counts;
    }

    private String render(Example example) {
        List<ChatMessage> messages = example.messages().stream()
                .map(m -> new ChatMessage(m.role(), m.content()))
                .toList();
        return tokenizer.renderChat(messages, false);
    }
}
