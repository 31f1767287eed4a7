package dev.tuneforge.dataset.validation;

import dev.tuneforge.events.DatasetReport;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Preference pairs for DPO in OpenAI's format ({@code input}, {@code preferred_output}, {@code non_preferred_output})
 * are the same examples as {@code {"prompt", "chosen", "rejected"}}: the split holds the same canonical line for both,
 * and a broken pair is reported on its line with what is wrong. A plain unit test of the parser through the validator;
 * UploadIngestionTest uploads such a file through the service.
 */
class PreferenceFormatTest {

    private final DatasetValidator validator = new DatasetValidator(DatasetValidator.Limits.DEFAULTS);
    private final List<String> kept = new ArrayList<>();

    @Test
    void openAisDpoFormatIsTheSamePreferenceExampleAsPromptChosenRejected() {
        DatasetReport openAi = validate(null, """
                {"input": {"messages": [{"role": "user", "content": "Capital of France?"}], "tools": [], \
                "parallel_tool_calls": true}, "preferred_output": [{"role": "assistant", "content": "Paris"}], \
                "non_preferred_output": [{"role": "assistant", "content": "Lyon"}]}
                """);
        List<String> openAiLines = List.copyOf(kept);
        kept.clear();
        DatasetReport simple = validate(null, """
                {"prompt": "Capital of France?", "chosen": "Paris", "rejected": "Lyon"}
                """);

        assertEquals("preference", openAi.format());
        assertEquals(1, openAi.examples());
        assertEquals(List.of(), openAi.errors());
        assertEquals(List.of(), openAi.warnings());
        assertEquals(List.of("{\"messages\":[{\"role\":\"user\",\"content\":\"Capital of France?\"},"
                + "{\"role\":\"assistant\",\"content\":\"Paris\"}],\"rejected\":\"Lyon\"}"), openAiLines);
        assertEquals(openAiLines, kept, "the same example either way");
        assertEquals("preference", simple.format());
    }

    @Test
    void aSystemTurnAndEarlierAssistantTurnsOfTheInputAreContextNotLearned() {
        validate(null, """
                {"input": {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, \
                {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "2+2?"}]}, \
                "preferred_output": [{"role": "assistant", "content": "4"}], \
                "non_preferred_output": [{"role": "assistant", "content": "5"}]}
                """);
        assertEquals(List.of("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello.\",\"weight\":0},"
                + "{\"role\":\"user\",\"content\":\"2+2?\"},{\"role\":\"assistant\",\"content\":\"4\"}],"
                + "\"rejected\":\"5\"}"), kept);
    }

    @Test
    void eachBrokenPairIsReportedOnItsLineWithWhatIsWrong() {
        String good = "{\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"q%d\"}]}, "
                + "\"preferred_output\": [{\"role\": \"assistant\", \"content\": \"yes\"}], "
                + "\"non_preferred_output\": [{\"role\": \"assistant\", \"content\": \"no\"}]}";
        DatasetReport report = validate(null, String.join("\n",
                good.formatted(1),                                                                              // 1
                good.formatted(2).replace("{\"messages\": [{\"role\": \"user\", \"content\": \"q2\"}]}", "\"q2\""), // 2
                good.formatted(3).replace("\"messages\": [{\"role\": \"user\", \"content\": \"q3\"}]",
                        "\"messages\": []"),                                                                   // 3
                good.formatted(4).replace("[{\"role\": \"assistant\", \"content\": \"yes\"}]",
                        "[{\"role\": \"assistant\", \"content\": \"yes\"}, {\"role\": \"assistant\", "
                                + "\"content\": \"also\"}]"),                                                  // 4
                good.formatted(5).replace("[{\"role\": \"assistant\", \"content\": \"no\"}]",
                        "{\"role\": \"assistant\", \"content\": \"no\"}"),                                     // 5
                good.formatted(6).replace("\"role\": \"assistant\", \"content\": \"yes\"",
                        "\"role\": \"user\", \"content\": \"yes\""),                                           // 6
                good.formatted(7).replace("\"content\": \"no\"", "\"content\": \" \""),                        // 7
                good.formatted(8).replace("\"role\": \"user\", \"content\": \"q8\"",
                        "\"role\": \"bot\", \"content\": \"q8\""),                                             // 8
                "{\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"q9\"}]}, "
                        + "\"preferred_output\": [{\"role\": \"assistant\", \"content\": \"yes\"}]}",          // 9
                "{\"prompt\": \"q10\", \"chosen\": \"yes\", \"rejected\": \"no\"}",                            // 10
                "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, "
                        + "{\"role\": \"assistant\", \"content\": \"a\"}]}") + "\n");                          // 11

        assertEquals("preference", report.format());
        assertEquals(2, report.examples(), "lines 1 and 10");
        assertEquals(Map.of("invalid_preference_input", List.of(2L, 3L),
                "invalid_preference_output", List.of(4L, 5L, 6L, 9L), "empty_output", List.of(7L),
                "unrecognized_role", List.of(8L), "mixed_formats", List.of(11L)), lines(report.errors()));
        assertEquals(Check.INVALID_PREFERENCE_OUTPUT.description(), report.errors().stream()
                .filter(f -> f.code().equals("invalid_preference_output")).findFirst().orElseThrow().description());
    }

    @Test
    void aDeclaredPreferenceDatasetTakesEitherShapeAndRefusesChat() {
        DatasetReport report = validate(DatasetFormat.PREFERENCE, """
                {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
                {"prompt": "q", "chosen": "a", "rejected": "b"}
                """);
        assertEquals(Map.of("mixed_formats", List.of(1L)), lines(report.errors()));
        assertEquals(1, report.examples());
    }

    private DatasetReport validate(DatasetFormat format, String content) {
        return validator.validate(new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), format, null,
                (example, json, hash) -> kept.add(json));
    }

    private static Map<String, List<Long>> lines(List<DatasetReport.Finding> findings) {
        return findings.stream().collect(Collectors.toMap(DatasetReport.Finding::code,
                DatasetReport.Finding::firstLines));
    }
}
