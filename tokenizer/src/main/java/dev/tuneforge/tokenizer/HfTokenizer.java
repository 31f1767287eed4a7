package dev.tuneforge.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The tokenizer of a Hugging Face model directory: {@code tokenizer.json} run by the Rust
 * {@code tokenizers} library through DJL, with the special tokens and chat template of
 * {@code tokenizer_config.json}. Encoding follows transformers: plain text gets the post-processor's
 * special tokens (a BOS, for Llama), a rendered chat template does not, because the template writes
 * them itself.
 *
 * <p>Encoding and rendering are safe from several threads at once: the Rust tokenizer is immutable once
 * loaded, and the chat template keeps one renderer per thread.
 */
public final class HfTokenizer implements AutoCloseable {

    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final String CONFIG_FILE = "tokenizer_config.json";
    public static final String SPECIAL_TOKENS_FILE = "special_tokens_map.json";

    private final HuggingFaceTokenizer tokenizer;
    private final SpecialTokens specialTokens;
    private final ChatTemplate chatTemplate;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, SpecialTokens specialTokens, ChatTemplate chatTemplate) {
        this.tokenizer = tokenizer;
        this.specialTokens = specialTokens;
        this.chatTemplate = chatTemplate;
    }

    public static HfTokenizer load(Path modelDir) {
        Path file = modelDir.resolve(TOKENIZER_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(modelDir + " has no " + TOKENIZER_FILE
                    + " (only fast tokenizers are supported)");
        }
        JsonNode config = readJson(modelDir.resolve(CONFIG_FILE));
        SpecialTokens special = SpecialTokens.parse(config, readJson(modelDir.resolve(SPECIAL_TOKENS_FILE)));
        ChatTemplate template = ChatTemplate.findSource(modelDir, config)
                .map(source -> new ChatTemplate(source, special))
                .orElse(null);
        try {
            // No truncation or padding: the trainer decides sequence lengths, never the tokenizer.
            HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
            return new HfTokenizer(hf, special, template);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load " + file, e);
        }
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Token ids as transformers' {@code tokenizer(text)} gives them (special tokens added). */
    public long[] encode(String text) {
        return encode(text, true);
    }

    /**
     * Only the ids cross from Rust: DJL's {@link Encoding} would also copy the tokens as strings, their
     * offsets and four masks, which took longer than the tokenising itself.
     */
    public long[] encode(String text, boolean addSpecialTokens) {
        long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, addSpecialTokens);
        try {
            return TokenizersLibrary.LIB.getTokenIds(encoding);
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    /**
     * The ids of each text, in order, as {@link #encode(String, boolean)} gives them, in one call to the Rust
     * library's {@code encode_batch}, which spreads the texts over the cores (its rayon pool); only the ids
     * come back.
     */
    public long[][] encodeBatch(List<String> texts, boolean addSpecialTokens) {
        if (texts.isEmpty()) {
            return new long[0][];
        }
        long[] encodings = TokenizersLibrary.LIB.batchEncode(tokenizer.getHandle(), texts.toArray(String[]::new),
                addSpecialTokens);
        long[][] ids = new long[encodings.length][];
        try {
            for (int i = 0; i < encodings.length; i++) {
                ids[i] = TokenizersLibrary.LIB.getTokenIds(encodings[i]);
            }
        } finally {
            for (long encoding : encodings) {
                TokenizersLibrary.LIB.deleteEncoding(encoding);
            }
        }
        return ids;
    }

    /**
     * Token ids with the offset where each token starts in {@code text}, as a Java string index (UTF-16
     * units, what {@link String#length()} and {@link String#substring(int)} count); tokens the
     * post-processor adds (a BOS) start at 0. Training uses the offsets to find which tokens belong
     * to an assistant turn.
     */
    public Encoded encodeWithOffsets(String text, boolean addSpecialTokens) {
        Encoding encoding = tokenizer.encode(text, addSpecialTokens, false);
        CharSpan[] spans = encoding.getCharTokenSpans();
        long[] specialMask = encoding.getSpecialTokenMask();
        // The tokenizers library counts Unicode code points; after a character outside the BMP (an emoji)
        // that is one less than Java's index, and a turn located by String.length() would lose its first token.
        int[] javaIndex = javaIndexOfCodePoint(text);
        int[] starts = new int[spans.length];
        boolean[] added = new boolean[spans.length];
        for (int i = 0; i < spans.length; i++) {
            starts[i] = spans[i] == null ? 0 : javaIndex[Math.min(spans[i].getStart(), javaIndex.length - 1)];
            added[i] = specialMask[i] != 0;
        }
        return new Encoded(encoding.getIds(), starts, added);
    }

    /** For each code point of {@code text} (and its end), the UTF-16 index where it starts. */
    private static int[] javaIndexOfCodePoint(String text) {
        int[] index = new int[text.codePointCount(0, text.length()) + 1];
        int cp = 0;
        for (int i = 0; i < text.length(); i += Character.charCount(text.codePointAt(i))) {
            index[cp++] = i;
        }
        index[cp] = text.length();
        return index;
    }

    /**
     * Token ids, the offset (a Java string index) each token starts at, and which tokens the
     * post-processor added rather than read from the text.
     */
    public record Encoded(long[] ids, int[] charStarts, boolean[] added) { }

    public String decode(long[] ids, boolean skipSpecialTokens) {
        return tokenizer.decode(ids, skipSpecialTokens);
    }

    public SpecialTokens specialTokens() {
        return specialTokens;
    }

    /** The id of a token that the tokenizer knows as one piece (a special token), if it is one. */
    public Optional<Long> tokenId(String token) {
        if (token == null) {
            return Optional.empty();
        }
        long[] ids = encode(token, false);
        return ids.length == 1 ? Optional.of(ids[0]) : Optional.empty();
    }

    public Optional<ChatTemplate> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /** The conversation rendered by the chat template; fails if the model has none. */
    public String renderChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (chatTemplate == null) {
            throw new ChatTemplateException("this model has no chat template");
        }
        return chatTemplate.render(messages, addGenerationPrompt);
    }

    /** {@code apply_chat_template(..., tokenize=True)}: the rendering encoded without added specials. */
    public long[] encodeChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return encode(renderChat(messages, addGenerationPrompt), false);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
