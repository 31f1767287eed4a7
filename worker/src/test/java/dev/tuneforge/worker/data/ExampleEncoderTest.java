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

    @Test
    void bothPreferenceShapesReadAsThePromptBeforeTheAnswerAndTheTwoAnswers() throws Exception {
        Path file = Files.writeString(dir.resolve("pairs.jsonl"), """
                {"messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi?"},                 {"role": "assistant", "content": "Hello!"}], "rejected": "Go away."}
                {"system": "Be kind.", "prompt": "Hi?", "chosen": "Hello!", "rejected": "Go away."}
                {"prompt": "Hi?", "chosen": "Hello!", "rejected": "Go away."}
                """);
        List<Example> pairs = DatasetReader.read(file, DataFormat.PREFERENCE);
        Example.Preference expected = new Example.Preference(List.of(ChatMessage.system("Be kind."),
                ChatMessage.user("Hi?")), "Hello!", "Go away.");
        assertEquals(expected, pairs.get(0));
        assertEquals(expected, pairs.get(1));
        assertEquals(new Example.Preference(List.of(ChatMessage.user("Hi?")), "Hello!", "Go away."), pairs.get(2));
    }

    @Test
    void aPairsAnswersAreTheTokensTheChatFormatLearnsOfThatTurnAfterThePromptWithItsGenerationPrompt() {
        Example.Preference pair = new Example.Preference(List.of(ChatMessage.user("Party 🎉?")), "Yes, now", "No");
        TokenizedPair encoded = new ExampleEncoder(tokenizer, 1024).encodePair(pair);
        TokenizedExample chat = new ExampleEncoder(tokenizer, 1024).encode(new Example.Chat(List.of(
                new Example.Turn(ChatMessage.user("Party 🎉?"), false),
                new Example.Turn(ChatMessage.assistant("Yes, now"), true))));
        assertEquals(Arrays.toString(chat.inputIds()), Arrays.toString(encoded.chosen().inputIds()));
        assertEquals(Arrays.toString(chat.targets()), Arrays.toString(encoded.chosen().targets()));
        assertEquals("Yes, now<|im_end|>\n", trainedText(encoded.chosen()));
        assertEquals("No<|im_end|>\n", trainedText(encoded.rejected()));
        long[] prompt = tokenizer.encodeChat(pair.prompt(), true);
        for (TokenizedExample answer : List.of(encoded.chosen(), encoded.rejected())) {
            assertEquals(Arrays.toString(prompt), Arrays.toString(Arrays.copyOf(answer.inputIds(), prompt.length)),
                    "the prompt, rendered with the generation prompt, comes first");
            assertEquals(answer.length() - prompt.length, answer.trainedTokens(), "every answer token is a target");
        }
        TokenizedPair cut = new ExampleEncoder(tokenizer, prompt.length + 2).encodePair(pair);
        assertEquals(prompt.length + 2, cut.chosen().length(), "cut at the end of the answer");
        assertEquals(2, cut.chosen().trainedTokens());
    }

    @Test
    void badPairsAreReportedWithFileLineAndField() throws Exception {
        Path noRejected = Files.writeString(dir.resolve("p1.jsonl"), """
                {"prompt": "a", "chosen": "b", "rejected": "c"}
                {"prompt": "a", "chosen": "b"}
                """);
        assertEquals("p1.jsonl line 2: rejected: must be a string", assertThrows(DataException.class,
                () -> DatasetReader.read(noRejected, DataFormat.PREFERENCE)).getMessage());
        Path userLast = Files.writeString(dir.resolve("p2.jsonl"), """
                {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},                 {"role": "user", "content": "c"}], "rejected": "d"}
                """);
        assertEquals("p2.jsonl line 1: messages[2]: the last message must be the chosen assistant answer, got role "
                + "\"user\"", assertThrows(DataException.class,
                () -> DatasetReader.read(userLast, DataFormat.PREFERENCE)).getMessage());
        Path noPrompt = Files.writeString(dir.resolve("p3.jsonl"), """
                {"chosen": "b", "rejected": "c"}
                """);
        assertEquals("p3.jsonl line 1: prompt: must be a string", assertThrows(DataException.class,
                () -> DatasetReader.read(noPrompt, DataFormat.PREFERENCE)).getMessage());
    }
}
