package dev.tuneforge.worker.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.protocol.DataFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which tokens carry the loss, for each data format, and how bad lines are reported. */
class ExampleEncoderTest {

    @TempDir
    static Path dir;

    static HfTokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = HfTokenizer.load(TinyLlamaWriter.write(dir.resolve("tiny"), TinyLlamaWriter.Spec.small()));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    /** The text of the tokens that are targets, in order. */
    private static String trainedText(TokenizedExample e) {
        long[] ids = Arrays.stream(e.targets()).filter(t -> t != TokenizedExample.IGNORE).toArray();
        return tokenizer.decode(ids, false);
    }

    @Test
    void chatLossCoversOnlyAssistantTurnsWithWeightOneAndTheirEndOfTurn() {
        Example chat = new Example.Chat(List.of(
                new Example.Turn(ChatMessage.system("Be brief."), false),
                new Example.Turn(ChatMessage.user("Hi"), false),
                new Example.Turn(ChatMessage.assistant("Hello there"), false),
                new Example.Turn(ChatMessage.user("Name a number"), false),
                new Example.Turn(ChatMessage.assistant("42"), true)));
        TokenizedExample e = new ExampleEncoder(tokenizer, 1024).encode(chat);
        assertEquals("42<|im_end|>\n", trainedText(e));
        assertEquals(tokenizer.encodeChat(((Example.Chat) chat).messages(), false).length, e.length());
    }

    @Test
    void completionLossCoversTheCompletionAndAnEndOfSequenceToken() {
        TokenizedExample e = new ExampleEncoder(tokenizer, 1024).encode(new Example.Completion("2+2=", " 4"));
        assertEquals(" 4<|im_end|>", trainedText(e));
    }

    @Test
    void charactersOutsideTheBasicPlaneBeforeATurnDoNotCostItsFirstToken() {
        // each emoji is two Java chars but one code point, which is what the tokenizers library counts
        Example chat = new Example.Chat(List.of(
                new Example.Turn(ChatMessage.user("Party 🎉🎉?"), false),
                new Example.Turn(ChatMessage.assistant("Yes"), true)));
        assertEquals("Yes<|im_end|>\n", trainedText(new ExampleEncoder(tokenizer, 1024).encode(chat)));
        TokenizedExample completion = new ExampleEncoder(tokenizer, 1024).encode(
                new Example.Completion("🎉🎉 then", " done"));
        assertEquals(" done<|im_end|>", trainedText(completion));
    }

    @Test
    void examplesAreCutToMaxSeqLength() {
        TokenizedExample e = new ExampleEncoder(tokenizer, 8).encode(new Example.Completion("a b c d e f", " g h i j"));
        assertEquals(8, e.length());
    }

    @Test
    void alpacaIsReadAsAUserTurnAndAnAssistantTurnAndWeightsAreHonoured() throws Exception {
        Path alpaca = Files.writeString(dir.resolve("a.jsonl"),
                "{\"instruction\": \"Add\", \"input\": \"2 and 3\", \"output\": \"5\"}\n");
        Example.Chat read = (Example.Chat) DatasetReader.read(alpaca, DataFormat.ALPACA).getFirst();
        assertEquals(List.of(ChatMessage.user("Add\n\n2 and 3"), ChatMessage.assistant("5")), read.messages());
        Path chat = Files.writeString(dir.resolve("c.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"},"
                + " {\"role\": \"assistant\", \"content\": \"y\", \"weight\": 0},"
                + " {\"role\": \"assistant\", \"content\": \"z\"}]}\n");
        Example.Chat weighted = (Example.Chat) DatasetReader.read(chat, DataFormat.CHAT).getFirst();
        assertEquals(List.of(false, false, true), weighted.turns().stream().map(Example.Turn::trained).toList());
    }

    @Test
    void badLinesAreReportedWithFileLineAndField() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"},"
                + " {\"role\": \"assistant\", \"content\": \"y\"}]}\n\n{\"messages\": [{\"role\": \"user\", \"content\": 3}]}\n");
        DataException e = assertThrows(DataException.class, () -> DatasetReader.read(file, DataFormat.CHAT));
        assertEquals("bad.jsonl line 3: messages[0]: content: must be a string", e.getMessage());
        Path noAnswer = Files.writeString(dir.resolve("none.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}");
        assertTrue(assertThrows(DataException.class, () -> DatasetReader.read(noAnswer, DataFormat.CHAT)).getMessage()
                .contains("no assistant message with weight 1"));
    }
}
