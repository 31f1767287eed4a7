package dev.tuneforge.worker.data;

import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.tokenizer.HfTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns examples into token ids and targets. A conversation is rendered once with the model's chat
 * template; each trained assistant turn is located in that text by rendering the conversation up to
 * it (with the generation prompt) and through it, and the tokens that start inside it get the loss.
 * That covers the turn's end-of-turn marker too, so the model learns to stop.
 */
public final class ExampleEncoder {

    private final HfTokenizer tokenizer;
    private final int maxSeqLength;
    private final Long eosId;

    public ExampleEncoder(HfTokenizer tokenizer, int maxSeqLength) {
        this.tokenizer = tokenizer;
        this.maxSeqLength = maxSeqLength;
        this.eosId = tokenizer.tokenId(tokenizer.specialTokens().eos()).orElse(null);
    }

    /** Tokenized and cut to {@code maxSeqLength} tokens; a preference pair as its chosen conversation. */
    public TokenizedExample encode(Example example) {
        return switch (example) {
            case Example.Chat chat -> chat(chat);
            case Example.Completion completion -> completion(completion);
            case Example.Preference pair -> chat(pair.chosenChat());
        };
    }

    /**
     * Both answers of a pair, each after the prompt exactly as the chat format encodes (and cuts) a conversation
     * whose last assistant turn is trained: the answer's tokens are the targets.
     */
    public TokenizedPair encodePair(Example.Preference pair) {
        return new TokenizedPair(chat(pair.chosenChat()), chat(pair.rejectedChat()));
    }

    /** The prompt a model is given to produce the example's last assistant turn, and that turn. */
    public static ChatPrompt promptOf(Example.Chat chat) {
        List<ChatMessage> messages = chat.messages();
        int last = messages.size() - 1;
        while (last >= 0 && !messages.get(last).role().equals("assistant")) {
            last--;
        }
        if (last < 0) {
            throw new DataException("the conversation has no assistant message to generate");
        }
        return new ChatPrompt(messages.subList(0, last), messages.get(last).content());
    }

    /** The prompt a model is given to produce a pair's answer, and the chosen answer. */
    public static ChatPrompt promptOf(Example.Preference pair) {
        return new ChatPrompt(pair.prompt(), pair.chosen());
    }

    /** The conversation before an assistant turn, and the turn's reference text. */
    public record ChatPrompt(List<ChatMessage> messages, String reference) { }

    private TokenizedExample chat(Example.Chat chat) {
        List<ChatMessage> messages = chat.messages();
        String full = tokenizer.renderChat(messages, false);
        List<int[]> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!chat.turns().get(i).trained()) {
                continue;
            }
            String before = tokenizer.renderChat(messages.subList(0, i), true);
            String through = tokenizer.renderChat(messages.subList(0, i + 1), false);
            if (!through.startsWith(before) || !full.startsWith(through)) {
                throw new DataException("the chat template does not render conversations incrementally, so "
                        + "assistant turns cannot be located for the loss mask");
            }
            spans.add(new int[] {before.length(), through.length()});
        }
        HfTokenizer.Encoded encoded = tokenizer.encodeWithOffsets(full, false);
        boolean[] trained = new boolean[encoded.ids().length];
        for (int t = 0; t < trained.length; t++) {
            int start = encoded.charStarts()[t];
            trained[t] = spans.stream().anyMatch(s -> start >= s[0] && start < s[1]);
        }
        return truncate(encoded.ids(), trained);
    }

    private TokenizedExample completion(Example.Completion example) {
        String text = example.prompt() + example.completion();
        HfTokenizer.Encoded encoded = tokenizer.encodeWithOffsets(text, true);
        int n = encoded.ids().length;
        boolean appendEos = eosId != null && (n == 0 || encoded.ids()[n - 1] != eosId);
        long[] ids = Arrays.copyOf(encoded.ids(), appendEos ? n + 1 : n);
        boolean[] trained = new boolean[ids.length];
        for (int t = 0; t < n; t++) {
            trained[t] = !encoded.added()[t] && encoded.charStarts()[t] >= example.prompt().length();
        }
        if (appendEos) {
            ids[n] = eosId;
            trained[n] = true;
        }
        return truncate(ids, trained);
    }

    private TokenizedExample truncate(long[] ids, boolean[] trained) {
        if (ids.length <= maxSeqLength) {
            return TokenizedExample.of(ids, trained);
        }
        return TokenizedExample.of(Arrays.copyOf(ids, maxSeqLength), Arrays.copyOf(trained, maxSeqLength));
    }
}
