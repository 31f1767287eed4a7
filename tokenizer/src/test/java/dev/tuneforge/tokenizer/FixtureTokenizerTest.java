package dev.tuneforge.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Ids and chat rendering equal what transformers gives for the shared fixture (written by transformers). */
class FixtureTokenizerTest {

    private static HfTokenizer tokenizer;
    private static JsonNode reference;

    @BeforeAll
    static void load() throws IOException {
        Path fixtures = Path.of(System.getProperty("tuneforge.fixtures.dir", "../../shared/fixtures"))
                .toAbsolutePath().normalize();
        if (!Files.isDirectory(fixtures.resolve("tiny-llama-gqa"))) {
            throw new IllegalStateException("shared fixtures not found at " + fixtures
                    + " (check out shared/ beside the repository)");
        }
        reference = new ObjectMapper().readTree(fixtures.resolve("tiny-llama-gqa.reference.json").toFile());
        tokenizer = HfTokenizer.load(fixtures.resolve("tiny-llama-gqa"));
    }

    @AfterAll
    static void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    @Test
    void textIsEncodedToTheSameIdsAsTransformers() {
        for (JsonNode probe : reference.get("probes")) {
            assertArrayEquals(longs(probe.get("ids")), tokenizer.encode(probe.get("text").asText()),
                    probe.get("text").asText());
        }
    }

    @Test
    void theChatTemplateRendersAndEncodesLikeTransformers() {
        List<ChatMessage> messages = List.of(
                ChatMessage.system("Reply with JSON only."),
                ChatMessage.user("name: Ada, age: 36"));
        assertEquals(reference.get("chat_rendered").asText(), tokenizer.renderChat(messages, true));
        assertArrayEquals(longs(reference.get("chat_ids")), tokenizer.encodeChat(messages, true));
    }

    @Test
    void offsetsAreJavaStringIndicesAlsoAfterCharactersOutsideTheBasicPlane() {
        // the tokenizers library counts code points: each emoji is one, but two Java chars
        String text = "🎉🙂 Grüße, 東京 ok";
        HfTokenizer.Encoded encoded = tokenizer.encodeWithOffsets(text, false);
        int last = encoded.ids().length - 1;
        String token = tokenizer.decode(new long[] {encoded.ids()[last]}, false).strip();
        assertEquals(token, text.substring(encoded.charStarts()[last]).strip(),
                "the last token starts where it stands in the Java string");
    }

    @Test
    void aBatchIsEncodedToTheSameIdsAsTransformersTextByText() {
        List<JsonNode> probes = StreamSupport.stream(reference.get("probes").spliterator(), false).toList();

        long[][] batch = tokenizer.encodeBatch(probes.stream().map(p -> p.get("text").asText()).toList(), true);

        assertEquals(probes.size(), batch.length);
        for (int i = 0; i < batch.length; i++) {
            assertArrayEquals(longs(probes.get(i).get("ids")), batch[i], probes.get(i).get("text").asText());
        }
        assertEquals(0, tokenizer.encodeBatch(List.of(), false).length);
    }

    @Test
    void chatsRenderedAndEncodedOnManyThreadsAtOnceAreTheSameAsOneByOne() {
        List<List<ChatMessage>> chats = IntStream.range(0, 400)
                .mapToObj(i -> List.of(ChatMessage.system("Reply with JSON only."),
                        ChatMessage.user("name: Ada, age: " + i), ChatMessage.assistant("{\"age\": " + i + "}")))
                .toList();
        List<String> oneByOne = chats.stream().map(c -> tokenizer.renderChat(c, false)).toList();

        List<String> atOnce = chats.parallelStream().map(c -> tokenizer.renderChat(c, false)).toList();
        long[][] ids = tokenizer.encodeBatch(atOnce, false);

        assertEquals(oneByOne, atOnce);
        for (int i = 0; i < ids.length; i++) {
            assertArrayEquals(tokenizer.encodeWithOffsets(oneByOne.get(i), false).ids(), ids[i], oneByOne.get(i));
        }
    }

    private static long[] longs(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
    }
}
