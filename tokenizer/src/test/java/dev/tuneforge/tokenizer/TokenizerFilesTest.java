package dev.tuneforge.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** A base model's tokenizer fetched file by file, as dataset-service and eval-service fetch it from S3. */
class TokenizerFilesTest {

    private static final Path MODEL = Path.of(System.getProperty("tuneforge.fixtures.dir", "../../shared/fixtures"))
            .toAbsolutePath().normalize().resolve("tiny-llama-gqa");

    @Test
    void onlyTheTokenizersFilesAndTheModelConfigAreFetchedAndTheyEncodeAsTheModelDoes() throws IOException {
        TokenizerFiles.Fetched fetched = TokenizerFiles.fetch(name -> Files.exists(MODEL.resolve(name))
                ? Optional.of(Files.newInputStream(MODEL.resolve(name))) : Optional.empty(), "tokenizer-files-test-");
        try (HfTokenizer original = HfTokenizer.load(MODEL); HfTokenizer copy = fetched.tokenizer();
             Stream<Path> files = Files.list(fetched.directory())) {
            assertEquals(List.of("chat_template.jinja", "config.json", "tokenizer.json", "tokenizer_config.json"),
                    files.map(f -> f.getFileName().toString()).sorted().toList(), "no weights, no generation config");
            assertEquals(new ObjectMapper().readTree(MODEL.resolve("config.json").toFile()), fetched.modelConfig());
            List<ChatMessage> chat = List.of(ChatMessage.user("name: Ada, age: 36"));
            assertArrayEquals(original.encodeChat(chat, true), copy.encodeChat(chat, true));
        }
    }

    @Test
    void aModelWithoutTokenizerJsonIsRefusedSayingSo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenizerFiles.fetch(name -> Optional.empty(), "tokenizer-files-test-"));
        assertTrue(e.getMessage().contains("has no tokenizer.json"), e.getMessage());
    }
}
