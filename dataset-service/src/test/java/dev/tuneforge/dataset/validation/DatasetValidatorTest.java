package dev.tuneforge.dataset.validation;

import dev.tuneforge.events.DatasetReport;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetValidatorTest {

    private static final String GOOD_CHAT =
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"{}\"}]}";

    private final DatasetValidator validator = new DatasetValidator(DatasetValidator.Limits.DEFAULTS);
    private final List<String> kept = new ArrayList<>();

    @Test
    void everyChatFormatErrorIsCountedWithItsLines() {
        DatasetReport report = validate(null, String.join("\n",
                GOOD_CHAT,                                                                  // 1
                "{\"messages\": [",                                                         // 2 invalid json
                "[1, 2]",                                                                   // 3 not an object
                "{\"messages\":[{\"role\":\"user\"}]}",                                     // 4 missing key
                "{\"messages\":[{\"role\":\"bot\",\"content\":\"x\"}]}",                    // 5 role
                "{\"messages\":[{\"role\":\"user\",\"content\":\"\"},"
                        + "{\"role\":\"assistant\",\"content\":\"a\"}]}",                   // 6 empty content
                "{\"messages\":[{\"role\":\"user\",\"content\":\"only a question\"}]}",    // 7 no assistant
                GOOD_CHAT,                                                                  // 8 duplicate
                "{\"messages\":\"not a list\"}",                                            // 9 missing messages
                "{\"prompt\":\"a\",\"completion\":\"b\"}",                                  // 10 mixed formats
                "{\"messages\":[{\"role\":\"user\",\"content\":\"q\",\"weight\":1},"
                        + "{\"role\":\"assistant\",\"content\":\"a\"}]}",                  // 11 weight on user
                "",                                                                         // 12 blank
                "{\"messages\":[{\"role\":\"user\",\"content\":\"q2\"},"
                        + "{\"role\":\"assistant\",\"content\":\"a2\",\"weight\":0},"
                        + "{\"role\":\"assistant\",\"content\":\"a3\",\"mood\":\"ok\"}]}") + "\n"); // 13 warning only

        assertEquals("chat", report.format());
        assertEquals(13, report.lines());
        assertEquals(2, report.examples());
        assertEquals(Map.of(
                "invalid_json", List.of(2L), "not_an_object", List.of(3L), "message_missing_key", List.of(4L),
                "unrecognized_role", List.of(5L), "missing_content", List.of(6L),
                "no_assistant_message", List.of(7L), "missing_messages", List.of(9L),
                "mixed_formats", List.of(10L), "invalid_weight", List.of(11L)), lines(report.errors()));
        assertEquals(Map.of("duplicate_example", List.of(8L), "empty_line", List.of(12L),
                "message_unrecognized_key", List.of(13L)), lines(report.warnings()));
        assertFalse(Verdict.accepted(report));
        assertTrue(Verdict.summary(report).startsWith("invalid_json: 1 (first lines [2])"), Verdict.summary(report));
    }

    @Test
    void countsKeepOnlyTheFirstFiveLinesButCountAll() {
        StringBuilder file = new StringBuilder(GOOD_CHAT).append('\n');
        for (int i = 0; i < 12; i++) {
            file.append("not json ").append(i).append('\n');
        }
        DatasetReport report = validate(null, file.toString());
        DatasetReport.Finding invalid = report.errors().get(0);
        assertEquals(12, invalid.count());
        assertEquals(List.of(2L, 3L, 4L, 5L, 6L), invalid.firstLines());
    }

    @Test
    void completionAlpacaAndPreferenceAreNormalisedToChat() {
        DatasetReport completion = validate(null,
                "{\"prompt\":\"2+2?\",\"completion\":\"4\"}\n{\"prompt\":\"x\",\"completion\":\"  \"}\n");
        assertEquals("completion", completion.format());
        assertEquals(Map.of("empty_output", List.of(2L)), lines(completion.errors()));
        assertEquals("{\"messages\":[{\"role\":\"user\",\"content\":\"2+2?\"},"
                + "{\"role\":\"assistant\",\"content\":\"4\"}]}", kept.get(0));

        kept.clear();
        DatasetReport alpaca = validate(null,
                "{\"instruction\":\"Translate\",\"input\":\"chat\",\"output\":\"cat\",\"system\":\"be brief\"}\n");
        assertEquals("alpaca", alpaca.format());
        assertEquals("{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":\"Translate\\n\\nchat\"},"
                + "{\"role\":\"assistant\",\"content\":\"cat\"}]}", kept.get(0));

        kept.clear();
        DatasetReport preference = validate(null, "{\"prompt\":\"p\",\"chosen\":\"good\",\"rejected\":\"bad\"}\n");
        assertEquals("preference", preference.format());
        assertTrue(kept.get(0).endsWith("\"rejected\":\"bad\"}"), kept.get(0));
    }

    @Test
    void aDeclaredFormatIsEnforced() {
        DatasetReport report = validate(DatasetFormat.COMPLETION, GOOD_CHAT + "\n");
        assertEquals(Map.of("mixed_formats", List.of(1L)), lines(report.errors()));
    }

    @Test
    void anObjectOfNoFormatIsReported() {
        DatasetReport report = validate(null, "{\"question\":\"q\",\"answer\":\"a\"}\n");
        assertNull(report.format());
        assertEquals(Map.of("unknown_format", List.of(1L)), lines(report.errors()));
    }

    @Test
    void aBomAndCrlfLineEndingsAreAccepted() {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] body = ("{\"prompt\":\"a\",\"completion\":\"b\"}\r\n{\"prompt\":\"c\",\"completion\":\"d\"}\r\n")
                .getBytes(StandardCharsets.UTF_8);
        DatasetReport report = validate(null, concat(bom, body));
        assertTrue(Verdict.accepted(report), Verdict.summary(report));
        assertEquals(2, report.examples());
    }

    @Test
    void aTruncatedFileReportsItsLastLine() {
        DatasetReport report = validate(null, GOOD_CHAT + "\n{\"messages\":[{\"role\":\"user\",\"con");
        assertEquals(Map.of("invalid_json", List.of(2L)), lines(report.errors()));
    }

    @Test
    void bytesThatAreNotUtf8AreReportedNotReplaced() {
        byte[] file = concat((GOOD_CHAT + "\n{\"prompt\":\"caf").getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xE9}, "\",\"completion\":\"x\"}\n".getBytes(StandardCharsets.UTF_8));
        DatasetReport report = validate(null, file);
        assertEquals(Map.of("non_utf8", List.of(2L)), lines(report.errors()));
    }

    @Test
    void aFileOfMoreExamplesThanADatasetMayHoldIsRefusedAndReadNoFurther() {
        DatasetValidator three = new DatasetValidator(DatasetValidator.Limits.DEFAULTS.withMaxExamples(3));
        long[] served = {0};
        // a file without end: each line a new example; the pass must stop reading soon after the fourth
        InputStream endless = new InputStream() {
            private byte[] line = new byte[0];
            private int at;

            @Override
            public int read() {
                if (at == line.length) {
                    served[0]++;
                    line = ("{\"prompt\":\"q" + served[0] + " " + Long.toBinaryString(served[0] * 7919)
                            + "\",\"completion\":\"a\"}\n").getBytes(StandardCharsets.UTF_8);
                    at = 0;
                }
                return line[at++];
            }
        };
        DatasetReport report = three.validate(endless, null, null, (example, json, hash) -> kept.add(json));
        assertEquals(Map.of("too_many_examples", List.of(4L)), lines(report.errors()));
        assertEquals(3, report.examples());
        assertEquals(3, kept.size());
        // a batch of lines (256) is validated at a time, and the reader reads 64 KiB ahead (about 1,100 such lines)
        assertTrue(served[0] < 2_000, "read no further than a batch and a buffer past the limit: " + served[0]);

        // duplicates and removed examples do not count: five lines of three distinct examples fit
        kept.clear();
        String q = "{\"prompt\":\"%s\",\"completion\":\"a\"}\n";
        DatasetReport fits = three.validate(new ByteArrayInputStream((q.formatted("one") + q.formatted("two")
                + q.formatted("ONE") + q.formatted("three") + q.formatted("two")).getBytes(StandardCharsets.UTF_8)),
                null, null, (example, json, hash) -> kept.add(json));
        assertEquals(Map.of(), lines(fits.errors()));
        assertEquals(3, kept.size());
    }

    @Test
    void aTenMegabyteLineIsRefusedWithoutBufferingIt() {
        DatasetValidator small = new DatasetValidator(new DatasetValidator.Limits(1024 * 1024, 32, 4096, 0.9, 1000));
        InputStream huge = new InputStream() {
            private long remaining = 10L * 1024 * 1024;
            private boolean newline;

            @Override
            public int read() {
                if (remaining-- > 0) {
                    return 'a';
                }
                if (!newline) {
                    newline = true;
                    return '\n';
                }
                return -1;
            }
        };
        DatasetReport report = small.validate(new java.io.SequenceInputStream(
                        new ByteArrayInputStream((GOOD_CHAT + "\n").getBytes(StandardCharsets.UTF_8)), huge),
                null, null, (example, json, hash) -> kept.add(json));
        assertEquals(Map.of("line_too_long", List.of(2L)), lines(report.errors()));
        assertEquals(1, report.examples());
    }

    @Test
    void deeplyNestedJsonIsRefused() {
        String deep = "{\"prompt\":\"p\",\"completion\":\"c\",\"x\":" + "[".repeat(500) + "]".repeat(500) + "}";
        DatasetReport report = validate(null, GOOD_CHAT + "\n" + deep + "\n");
        assertEquals(Map.of("too_deep", List.of(2L)), lines(report.errors()));
    }

    @Test
    void aZipBombNamedJsonlIsRecognisedBeforeAnythingIsInflated() throws IOException {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            out.putNextEntry(new ZipEntry("data.jsonl"));
            byte[] zeros = new byte[1024 * 1024];
            for (int i = 0; i < 64; i++) {
                out.write(zeros);
            }
            out.closeEntry();
        }
        DatasetReport report = validate(null, zip.toByteArray());
        assertEquals(Map.of("not_jsonl", List.of(1L)), lines(report.errors()));
        assertEquals(0, report.examples());
    }

    @Test
    void aNulByteInsideAJsonStringIsReportedOnItsOwnLineNotAsABinaryFile() {
        StringBuilder file = new StringBuilder();
        for (int i = 1; i <= 10; i++) {
            file.append("{\"prompt\":\"question ").append(i).append(i == 8 ? "\0" : "")
                    .append("\",\"completion\":\"answer ").append(i).append("\"}\n");
        }
        DatasetReport report = validate(null, file.toString());
        assertEquals(Map.of("nul_byte", List.of(8L)), lines(report.errors()));
        DatasetReport.Finding nul = report.errors().getFirst();
        assertTrue(nul.description().contains("NUL byte") && nul.description().contains("\\u0000"), nul.description());
        assertEquals(9, report.examples(), "every other line is read and checked");
        assertFalse(Verdict.accepted(report));
    }

    /**
     * Found by DatasetValidatorFuzzTest: an escaped half of a surrogate pair was accepted, and the canonical line,
     * written as UTF-8, held '?' in its place (stored and hashed as something the user never sent).
     */
    @Test
    void anEscapedHalfOfASurrogatePairIsAnErrorOnItsLineNotAQuestionMark() {
        DatasetReport report = validate(null, String.join("\n",
                "{\"prompt\":\"a\",\"completion\":\"b\"}",
                "{\"prompt\":\"smile \\ud83d\\ude00\",\"completion\":\"a pair is one character\"}",
                "{\"prompt\":\"c\",\"completion\":\"\\ud800\"}") + "\n");
        assertEquals(Map.of("unpaired_surrogate", List.of(3L)), lines(report.errors()));
        assertEquals(2, report.examples());
        assertTrue(kept.get(1).contains("smile \uD83D\uDE00"), kept.get(1));
        assertFalse(kept.stream().anyMatch(json -> json.contains("?")), kept.toString());

        DatasetReport rejected = validate(null, "{\"prompt\":\"p\",\"chosen\":\"c\",\"rejected\":\"x\\udc00\"}\n");
        assertEquals(Map.of("unpaired_surrogate", List.of(1L)), lines(rejected.errors()));
    }

    @Test
    void utf16TextIsStillRecognisedAsNotJsonlByItsNulBytes() {
        byte[] utf16 = ("{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"c\",\"completion\":\"d\"}\n")
                .getBytes(StandardCharsets.UTF_16LE);
        DatasetReport report = validate(null, utf16);
        assertEquals(Map.of("not_jsonl", List.of(1L)), lines(report.errors()));
        assertEquals(0, report.examples());
    }

    @Test
    void tokensAreCountedAndOverlongExamplesFlagged() {
        DatasetValidator tiny = new DatasetValidator(DatasetValidator.Limits.DEFAULTS.withContextWindow(10));
        TokenCounter characters = example -> example.messages().stream().mapToInt(m -> m.content().length()).sum();
        DatasetReport report = tiny.validate(stream(
                        "{\"prompt\":\"ab\",\"completion\":\"c\"}\n"           // 3
                        + "{\"prompt\":\"abcd\",\"completion\":\"ef\"}\n"      // 6
                        + "{\"prompt\":\"abcdefghij\",\"completion\":\"k\"}\n" // 11 → truncated to 10
                        + "{\"prompt\":\"a\",\"completion\":\"b\"}\n"),         // 2
                null, characters, (example, json, hash) -> { });
        assertEquals(Map.of("too_long", List.of(3L)), lines(report.warnings()));
        assertEquals(new dev.tuneforge.events.TokenStats(2, 3, 10, 11, 21, 1,
                java.util.List.of(new dev.tuneforge.events.TokenStats.Bucket(10, 4))), report.tokens(),
                "a window of 10 is one bucket, the truncated example counted at the window");
        assertEquals(21, report.billedTokens());
    }

    @Test
    void aTokenCounterThatFailsOnOneExampleStopsTheValidationThereAfterTheExamplesBeforeItWereHandedOn() {
        // A chat template may refuse a conversation. Counted a batch at a time, the whole batch fails; the
        // examples before the refused one are still handed on first, as when each was counted on its own.
        String content = IntStream.rangeClosed(1, 5)
                .mapToObj(i -> "{\"prompt\":\"p" + i + "\",\"completion\":\"c\"}\n").collect(Collectors.joining());
        TokenCounter refusesLineThree = new TokenCounter() {
            @Override
            public int count(Example example) {
                if (example.line() == 3) {
                    throw new IllegalStateException("refused line 3");
                }
                return 1;
            }

            @Override
            public int[] countAll(List<Example> examples) {
                throw new IllegalStateException("refused the batch");
            }
        };

        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> validator.validate(
                stream(content), null, refusesLineThree, (example, json, hash) -> kept.add(json)));

        assertEquals("refused line 3", refused.getMessage());
        assertEquals(2, kept.size());
        assertTrue(kept.get(1).contains("p2"));
    }

    @Test
    void theSameContentWrittenDifferentlyIsTheSameExample() {
        validate(null, "{\"prompt\":\"a\",\"completion\":\"b\"}\n{ \"completion\" : \"b\", \"prompt\" : \"a\" }\n");
        assertEquals(1, kept.size());
    }

    @Test
    void duplicatesUpToCaseAndSpacingAreRemoved() {
        DatasetReport report = validate(null, "{\"prompt\":\"Hello  World\",\"completion\":\"Hi\"}\n"
                + "{\"prompt\":\"hello world\",\"completion\":\"hi\"}\n");
        assertEquals(Map.of("duplicate_example", List.of(2L)), lines(report.warnings()));
        assertEquals(1, report.examples());
    }

    @Test
    void nearDuplicatesAreRemovedButSimilarTemplatedExamplesAreKept() {
        String paragraph = "Fine-tuning adapts a pre-trained language model to a task by training it further on "
                + "examples of the behaviour we want, usually with a small learning rate and few epochs.";
        DatasetReport report = validate(null, String.join("\n",
                "{\"prompt\":\"Summarise: " + paragraph + "\",\"completion\":\"Training more on examples.\"}",
                "{\"prompt\":\"Summarise: " + paragraph.replace("usually", "typically")
                        + "\",\"completion\":\"Training more on examples.\"}",
                "{\"prompt\":\"Give me a JSON object with name Alice and age 31\",\"completion\":\"{\\\"name\\\": \\\"Alice\\\", \\\"age\\\": 31}\"}",
                "{\"prompt\":\"Give me a JSON object with name Bob and age 45\",\"completion\":\"{\\\"name\\\": \\\"Bob\\\", \\\"age\\\": 45}\"}")
                + "\n");
        assertEquals(Map.of("near_duplicate", List.of(2L)), lines(report.warnings()));
        assertEquals(3, report.examples());
    }

    @Test
    void examplesWhosePromptIsInAnEvaluationSetNeverReachTrainingData() {
        LongHashSet evaluation = new LongHashSet();
        evaluation.add(ExampleHash.of(TextNormalizer.normalizePrompt(new Example(1,
                List.of(new Message("user", "What is  the capital of France?", 0),
                        new Message("assistant", "Paris", 1)), null))));
        DatasetReport report = validator.validate(stream(
                        "{\"prompt\":\"what is the capital of france?\",\"completion\":\"paris!\"}\n"
                        + "{\"prompt\":\"What is 2+2?\",\"completion\":\"4\"}\n"),
                null, null, evaluation, (example, json, hash) -> kept.add(json));
        assertEquals(Map.of("contaminated", List.of(1L)), lines(report.warnings()));
        assertEquals(1, report.examples());
        assertTrue(kept.get(0).contains("2+2"));
    }

    private DatasetReport validate(DatasetFormat format, String content) {
        return validate(format, content.getBytes(StandardCharsets.UTF_8));
    }

    private DatasetReport validate(DatasetFormat format, byte[] content) {
        return validator.validate(new ByteArrayInputStream(content), format, null, (example, json, hash) -> kept.add(json));
    }

    private static InputStream stream(String content) {
        return new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, List<Long>> lines(List<DatasetReport.Finding> findings) {
        return findings.stream().collect(Collectors.toMap(DatasetReport.Finding::code,
                DatasetReport.Finding::firstLines));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
