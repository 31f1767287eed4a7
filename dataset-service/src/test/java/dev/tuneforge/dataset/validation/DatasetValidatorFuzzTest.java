package dev.tuneforge.dataset.validation;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.events.DatasetReport;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The validator under a coverage-guided fuzzer (Jazzer). Each harness states the validator's contract for any
 * input, not just "no exception": one report per upload, the same every time; every finding names lines that
 * exist in the file, at most five, in order; an accepted example's line carries no error; the verdict follows
 * from the report alone; what the validator keeps is valid again when read back; a file of valid examples stays
 * valid whatever their text. Not a @QuarkusTest: the validator is a plain class.
 *
 * <p>In the normal test run each harness replays its committed inputs (src/test/resources/.../
 * DatasetValidatorFuzzTestInputs/&lt;harness&gt;); {@code bench/fuzz.sh} fuzzes them ({@code JAZZER_FUZZ=1}).
 * Limits are tiny so that short inputs reach every limit.
 */
class DatasetValidatorFuzzTest {

    private static final DatasetValidator.Limits LIMITS = new DatasetValidator.Limits(2048, 6, 24, 0.9, 3);
    private static final DatasetFormat[] DECLARED = {null, DatasetFormat.CHAT, DatasetFormat.COMPLETION,
            DatasetFormat.ALPACA, DatasetFormat.PREFERENCE};
    /** About four characters a token, at least one: enough to reach the context window of {@link #LIMITS}. */
    private static final TokenCounter TOKENS = example -> 1 + example.messages().stream()
            .mapToInt(message -> message.content().length()).sum() / 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DatasetValidator validator = new DatasetValidator(LIMITS);
    /**
     * Reads kept lines back: as chat messages a line is up to some hundred bytes longer than the upload's line (keys,
     * roles, an alpaca prompt's blank line), and the line limit is the upload's; nothing reads stored lines with it.
     */
    private final DatasetValidator rereader = new DatasetValidator(new DatasetValidator.Limits(
            LIMITS.maxLineBytes() + 1024, LIMITS.maxDepth(), LIMITS.contextWindow(), LIMITS.nearDuplicateThreshold(),
            LIMITS.nearDuplicateCapacity()));

    /** What the validator handed on: the example and its canonical line. */
    private record Kept(Example example, String json, long hash) {
    }

    private record Outcome(DatasetReport report, List<Kept> kept) {
    }

    @FuzzTest
    void anyUploadGetsOneConsistentReportWhoseFindingsNameItsLines(FuzzedDataProvider data) {
        DatasetFormat declared = data.pickValue(DECLARED);
        byte[] upload = data.consumeRemainingAsBytes();

        Outcome outcome = validate(upload, declared);
        DatasetReport report = outcome.report();
        assertEquals(outcome, validate(upload, declared), "the same upload, the same report and examples");

        long physicalLines = physicalLines(upload);
        List<DatasetReport.Finding> findings = new ArrayList<>(report.errors());
        findings.addAll(report.warnings());
        if (report.errors().stream().anyMatch(error -> error.code().equals(Check.NOT_JSONL.code()))) {
            assertEquals(List.of(new DatasetReport.Finding(Check.NOT_JSONL.code(), Check.NOT_JSONL.description(), 1,
                    List.of(1L))), findings, "a binary upload is refused as a whole, before any line is read");
            assertTrue(upload.length > 0);
            assertEquals(0, report.examples());
            assertTrue(outcome.kept().isEmpty());
            return;
        }
        assertEquals(physicalLines, report.lines(), "lines counted as the file has them");
        for (DatasetReport.Finding finding : findings) {
            assertFindingNamesLinesOfTheFile(finding, physicalLines);
        }

        assertEquals(outcome.kept().size(), report.examples(), "every counted example was handed on, once");
        long previous = 0;
        for (Kept kept : outcome.kept()) {
            long line = kept.example().line();
            assertTrue(line > previous && line <= physicalLines, "example line " + line + " after " + previous);
            previous = line;
            for (DatasetReport.Finding error : report.errors()) {
                assertFalse(error.firstLines().contains(line),
                        "line " + line + " was accepted yet has the error " + error.code());
            }
            assertEquals(ExampleHash.of(kept.json()), kept.hash());
            assertCanonicalLineIsValidAgain(kept, DatasetFormat.byId(report.format()).orElseThrow());
        }
        if (declared != null) {
            assertEquals(declared.id(), report.format(), "a declared format is the dataset's format");
        } else if (report.examples() > 0) {
            assertNotNull(report.format(), "examples were found, so a format was");
        }
        for (DatasetReport.Finding tooDeep : byCode(report.errors(), Check.TOO_DEEP)) {
            for (long line : tooDeep.firstLines()) {
                String text = line(upload, line);
                assertTrue(nesting(text) > LIMITS.maxDepth(), "too_deep on line " + line + " nested "
                        + nesting(text) + " deep: " + text);
            }
        }

        boolean accepted = report.errors().isEmpty() && report.examples() > 0;
        assertEquals(accepted, Verdict.accepted(report), "accepted exactly when there are examples and no errors");
        assertEquals(report.errors().stream().mapToLong(DatasetReport.Finding::count).sum(),
                Verdict.errorCount(report));
        assertFalse(Verdict.summary(report).isBlank());
        assertEquals(accepted, Verdict.summary(report).equals(report.examples() + " examples"),
                "the summary of a rejected upload says why: " + Verdict.summary(report));
    }

    /**
     * Examples built from fuzzed text, written as a well-formed file in one format (sometimes with a BOM, CRLF line
     * ends, blank lines, no final newline): no error, and every example is kept with its text exactly, unless it
     * repeats an earlier one (a duplicate or near-duplicate warning says so).
     */
    @FuzzTest
    void aValidFileStaysValidWhateverTheTextOfItsExamples(FuzzedDataProvider data) {
        DatasetFormat format = data.pickValue(List.of(DatasetFormat.values()));
        boolean bom = data.consumeBoolean();
        String newline = data.consumeBoolean() ? "\r\n" : "\n";
        int count = data.consumeInt(1, 6);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        if (bom) {
            file.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        }
        List<Long> lines = new ArrayList<>();
        List<List<Message>> expected = new ArrayList<>();
        List<String> rejected = new ArrayList<>();
        long line = 0;
        for (int i = 0; i < count; i++) {
            if (i > 0 && data.consumeBoolean()) {
                file.writeBytes(newline.getBytes(StandardCharsets.UTF_8)); // a blank line: a warning only
                line++;
            }
            ObjectNode object = JSON.createObjectNode();
            List<Message> messages = new ArrayList<>();
            String other = example(format, data, object, messages);
            file.writeBytes(object.toString().getBytes(StandardCharsets.UTF_8));
            line++;
            lines.add(line);
            expected.add(messages);
            rejected.add(other);
            if (i < count - 1 || data.consumeBoolean()) {
                file.writeBytes(newline.getBytes(StandardCharsets.UTF_8));
            }
        }

        Outcome outcome = validate(file.toByteArray(), null);
        DatasetReport report = outcome.report();
        assertEquals(List.of(), report.errors(), "a file of valid examples has no error");
        assertEquals(format.id(), report.format());
        long removed = countOf(report.warnings(), Check.DUPLICATE_EXAMPLE)
                + countOf(report.warnings(), Check.NEAR_DUPLICATE);
        assertEquals(count, report.examples() + removed, "every example is kept or named as a repeat");
        for (Kept kept : outcome.kept()) {
            int index = lines.indexOf(kept.example().line());
            assertTrue(index >= 0, "kept line " + kept.example().line() + " holds an example");
            assertEquals(expected.get(index), kept.example().messages(), "the text as written");
            assertEquals(rejected.get(index), kept.example().rejected());
        }
    }

    private Outcome validate(byte[] upload, DatasetFormat declared) {
        return validate(validator, upload, declared);
    }

    private static Outcome validate(DatasetValidator validator, byte[] upload, DatasetFormat declared) {
        List<Kept> kept = new ArrayList<>();
        DatasetReport report;
        try {
            report = validator.validate(new ByteArrayInputStream(upload), declared, TOKENS,
                    (example, json, hash) -> kept.add(new Kept(example, json, hash)));
        } catch (RuntimeException e) {
            throw new AssertionError("the validator reports on any upload; it threw " + e, e);
        }
        return new Outcome(report, kept);
    }

    /**
     * The canonical line the validator writes is a valid chat example of the same messages (a preference example's
     * other answer travels beside them, as "rejected"); without that, it is its own canonical form.
     */
    private void assertCanonicalLineIsValidAgain(Kept kept, DatasetFormat format) {
        Outcome again = validate(rereader, (kept.json() + "\n").getBytes(StandardCharsets.UTF_8), DatasetFormat.CHAT);
        assertEquals(List.of(), again.report().errors(), "the kept line " + kept.json() + " of a " + format.id()
                + " example is valid chat");
        assertEquals(1, again.kept().size());
        assertEquals(kept.example().messages(), again.kept().getFirst().example().messages());
        if (kept.example().rejected() == null) {
            assertEquals(kept.json(), again.kept().getFirst().json(), "the canonical form is its own canonical form");
        } else {
            assertEquals(kept.example().rejected(), readTree(kept.json()).path("rejected").textValue());
        }
    }

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("the canonical line is not JSON: " + json, e);
        }
    }

    private static void assertFindingNamesLinesOfTheFile(DatasetReport.Finding finding, long lines) {
        List<Long> named = finding.firstLines();
        assertFalse(named.isEmpty(), finding.code() + " names no line");
        assertTrue(named.size() <= ReportBuilder.LINES_KEPT && named.size() <= finding.count(), finding.toString());
        long previous = 0;
        for (long line : named) {
            assertTrue(line > previous, finding.code() + " names lines out of order: " + named);
            assertTrue(line <= lines, finding.code() + " names line " + line + " of a file of " + lines);
            previous = line;
        }
        assertFalse(finding.description().isBlank(), finding.code());
    }

    /** Fills {@code object} with an example of {@code format} and {@code messages} with its chat form. */
    private static String example(DatasetFormat format, FuzzedDataProvider data, ObjectNode object,
                                  List<Message> messages) {
        switch (format) {
            case CHAT -> {
                ArrayNode turns = object.putArray("messages");
                int n = data.consumeInt(1, 4);
                int assistantAt = data.consumeInt(0, n - 1);
                for (int t = 0; t < n; t++) {
                    String role = t == assistantAt ? Message.ASSISTANT
                            : data.pickValue(List.of(Message.SYSTEM, Message.USER, Message.ASSISTANT));
                    String content = text(data);
                    ObjectNode turn = turns.addObject().put("role", role).put("content", content);
                    int weight = role.equals(Message.ASSISTANT) ? 1 : 0;
                    if (role.equals(Message.ASSISTANT) && data.consumeBoolean()) {
                        weight = data.consumeBoolean() ? 1 : 0;
                        turn.put("weight", weight);
                    }
                    messages.add(new Message(role, content, weight));
                }
                return null;
            }
            case COMPLETION -> {
                String prompt = text(data);
                String completion = text(data);
                object.put("prompt", prompt).put("completion", completion);
                messages.add(new Message(Message.USER, prompt, 0));
                messages.add(new Message(Message.ASSISTANT, completion, 1));
                return null;
            }
            case ALPACA -> {
                String system = text(data);
                String instruction = text(data);
                String input = text(data);
                String output = text(data);
                object.put("system", system).put("instruction", instruction).put("input", input).put("output", output);
                messages.add(new Message(Message.SYSTEM, system, 0));
                messages.add(new Message(Message.USER, instruction + "\n\n" + input, 0));
                messages.add(new Message(Message.ASSISTANT, output, 1));
                return null;
            }
            case PREFERENCE -> {
                String prompt = text(data);
                String chosen = text(data);
                String rejected = text(data);
                object.put("prompt", prompt).put("chosen", chosen).put("rejected", rejected);
                messages.add(new Message(Message.USER, prompt, 0));
                messages.add(new Message(Message.ASSISTANT, chosen, 1));
                return rejected;
            }
            default -> throw new IllegalStateException(format.toString());
        }
    }

    /** Any text that is not blank (a blank text is an error by the rules), as UTF-8 can carry it. */
    private static String text(FuzzedDataProvider data) {
        String text = new String(data.consumeString(40).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        return text.isBlank() ? "x" + text : text;
    }

    private static long physicalLines(byte[] upload) {
        long lines = 0;
        for (byte b : upload) {
            if (b == '\n') {
                lines++;
            }
        }
        return upload.length > 0 && upload[upload.length - 1] != '\n' ? lines + 1 : lines;
    }

    /** The text of a 1-based line as UTF-8 (the validator decodes it so before parsing). */
    private static String line(byte[] upload, long number) {
        String[] lines = new String(upload, StandardCharsets.UTF_8).split("\n", -1);
        return lines[(int) number - 1];
    }

    /** The deepest nesting of arrays and objects outside strings, as a JSON parser sees it up to any error. */
    private static int nesting(String text) {
        int depth = 0;
        int max = 0;
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '[' || c == '{') {
                max = Math.max(max, ++depth);
            } else if (c == ']' || c == '}') {
                depth--;
            }
        }
        return max;
    }

    private static List<DatasetReport.Finding> byCode(List<DatasetReport.Finding> findings, Check check) {
        return findings.stream().filter(finding -> finding.code().equals(check.code())).toList();
    }

    private static long countOf(List<DatasetReport.Finding> findings, Check check) {
        return byCode(findings, check).stream().mapToLong(DatasetReport.Finding::count).sum();
    }
}
