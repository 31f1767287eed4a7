package dev.tuneforge.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A base model's tokenizer fetched from wherever the model's files are kept (the platform's catalogue in S3): the
 * files that make it up in Hugging Face layout ({@link #NAMES}; all but {@code tokenizer.json} optional) copied into
 * a directory of their own and loaded, with the model's {@code config.json}. dataset-service (token statistics of an
 * upload) and eval-service (drift's token counts) fetch a base model's tokenizer this one way, so both count tokens
 * with exactly the same files.
 */
public final class TokenizerFiles {

    /** The model's own configuration, read for its sizes ({@code max_position_embeddings}, {@code vocab_size}). */
    public static final String MODEL_CONFIG = "config.json";

    /** The files fetched, in this order. */
    public static final List<String> NAMES = List.of(HfTokenizer.TOKENIZER_FILE, HfTokenizer.CONFIG_FILE,
            HfTokenizer.SPECIAL_TOKENS_FILE, "chat_template.jinja", "chat_template.json", MODEL_CONFIG);

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where a model's files are kept: one file by name, or empty when the model has no such file. */
    @FunctionalInterface
    public interface Source {
        Optional<InputStream> open(String name) throws IOException;
    }

    /**
     * A fetched tokenizer.
     *
     * @param modelConfig the model's {@code config.json}, a missing node when it has none
     * @param directory   where its files were copied to
     */
    public record Fetched(HfTokenizer tokenizer, JsonNode modelConfig, Path directory) { }

    private TokenizerFiles() {
    }

    /**
     * Copies the files of {@link #NAMES} the source has into a new temporary directory (named with
     * {@code tempPrefix}) and loads the tokenizer from it.
     *
     * @throws IllegalArgumentException when the source has no {@code tokenizer.json}
     */
    public static Fetched fetch(Source source, String tempPrefix) throws IOException {
        Path dir = Files.createTempDirectory(tempPrefix);
        for (String name : NAMES) {
            Optional<InputStream> file = source.open(name);
            if (file.isPresent()) {
                try (InputStream in = file.get()) {
                    Files.copy(in, dir.resolve(name));
                }
            }
        }
        Path config = dir.resolve(MODEL_CONFIG);
        JsonNode modelConfig = Files.exists(config) ? JSON.readTree(config.toFile()) : MissingNode.getInstance();
        return new Fetched(HfTokenizer.load(dir), modelConfig, dir);
    }
}
