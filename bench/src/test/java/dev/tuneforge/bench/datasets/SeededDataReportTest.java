package dev.tuneforge.bench.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tuneforge.dataset.domain.SplitWriter;
import dev.tuneforge.dataset.tokens.ModelTokenizer;
import dev.tuneforge.dataset.validation.DatasetFormat;
import dev.tuneforge.dataset.validation.DatasetValidator;
import dev.tuneforge.dataset.validation.Example;
import dev.tuneforge.dataset.validation.ExampleHash;
import dev.tuneforge.dataset.validation.LongHashSet;
import dev.tuneforge.dataset.validation.Message;
import dev.tuneforge.dataset.validation.TextNormalizer;
import dev.tuneforge.dataset.validation.TokenCounter;
import dev.tuneforge.events.DatasetReport;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.tokenizer.HfTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dataset report of the bench's seeded chat data, with the irregular lines a real upload has mixed in
 * (exact and near duplicates, broken JSON, another format, a bad role, a prompt of an evaluation set), must be
 * the one the per-example pipeline wrote before tokenisation was batched: {@code seeded-report.txt} was written
 * by that code (commit 2d6c8df) and holds, per run, the report as stored ({@code report.json}), the split's
 * content sha256 and a digest of every example handed to the split, in order. The input spans several of the
 * validator's batches, so batch boundaries are crossed by duplicates and by the first lines kept per finding.
 */
class SeededDataReportTest {

    /** About 1,700 seeded examples: several batches, a few seconds of tokenising. */
    private static final long SEEDED_BYTES = 1024 * 1024;

    private static HfTokenizer tokenizer;
    private static byte[] upload;
    private static LongHashSet evaluationPrompts;

    @TempDir
    Path directory;

    @BeforeAll
    static void seed(@TempDir Path seeded) throws IOException {
        tokenizer = HfTokenizer.load(DatasetPipelineBenchmark.fixtureModel());
        Path file = seeded.resolve("seeded.jsonl");
        SyntheticChatData.write(file, SEEDED_BYTES, 42);
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        upload = String.join("\n", withIrregularLines(lines)).getBytes(StandardCharsets.UTF_8);
        evaluationPrompts = new LongHashSet();
        evaluationPrompts.add(ExampleHash.of(TextNormalizer.normalizePrompt(
                new Example(0, List.of(new Message(Message.USER, userMessage(lines.get(1500)), 0)), null))));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void theReportOfTheSeededDataWithTheModelsTokenizerIsTheOneThePerExamplePipelineWrote() {
        ModelTokenizer tokens = new ModelTokenizer("tiny-llama-gqa", tokenizer, 256);

        assertEquals(golden(0), run(tokens, null));
    }

    @Test
    void countingOneExampleAtATimeGivesTheSameReportAsTheModelTokenizer() {
        ModelTokenizer model = new ModelTokenizer("tiny-llama-gqa", tokenizer, 256);
        TokenCounter oneAtATime = model::count;

        assertEquals(golden(0), run(oneAtATime, null));
    }

    @Test
    void theReportWithoutATokenizerAndWithAnEvaluationSetIsTheOneThePerExamplePipelineWrote() {
        assertEquals(golden(1), run(null, evaluationPrompts));
    }

    /** Report JSON, content sha256 and sink digest, one per line, as {@code seeded-report.txt} holds them. */
    private String run(TokenCounter tokens, LongHashSet prompts) {
        MessageDigest sunk = ExampleHash.sha256();
        try (SplitWriter split = new SplitWriter(Files.createTempDirectory(directory, "split-"), 0.1);
             InputStream in = new ByteArrayInputStream(upload)) {
            DatasetReport report = new DatasetValidator(DatasetValidator.Limits.DEFAULTS.withContextWindow(256))
                    .validate(in, null, tokens, prompts, (example, json, hash) -> {
                        sunk.update((example.line() + " " + hash + " " + json + "\n")
                                .getBytes(StandardCharsets.UTF_8));
                        split.add(json, hash);
                    });
            split.finish();
            return EventCodec.mapper().writeValueAsString(report) + "\n" + split.contentSha256() + "\n"
                    + HexFormat.of().formatHex(sunk.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String golden(int run) {
        try (InputStream in = SeededDataReportTest.class.getResourceAsStream("seeded-report.txt")) {
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", lines.subList(3 * run, 3 * run + 3));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The seeded lines with, at fixed places, what a hand-made dataset has: a line repeated, one repeated with
     * other spacing and case (a duplicate once normalised), one with a word changed (a near-duplicate), a blank
     * line, broken JSON, a completion example among chat ones, an unknown role, and a prompt of the evaluation set.
     */
    static List<String> withIrregularLines(List<String> seeded) {
        SplittableRandom random = new SplittableRandom(3);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < seeded.size(); i++) {
            lines.add(seeded.get(i));
            if (i > 0 && i % 97 == 0) {
                lines.add(seeded.get(random.nextInt(i)));
            }
            if (i > 0 && i % 131 == 0) {
                lines.add(seeded.get(random.nextInt(i)).replace("\"content\":\"", "\"content\":\"  ")
                        .replace("json", "JSON"));
            }
            if (i > 0 && i % 173 == 0) {
                lines.add(seeded.get(random.nextInt(i)).replace(" the ", " a "));
            }
            switch (i % 401) {
                case 50 -> lines.add("");
                case 100 -> lines.add("{\"messages\":[{\"role\":\"user\",\"content\":\"unterminated");
                case 150 -> lines.add("{\"prompt\":\"p " + i + "\",\"completion\":\"c\"}");
                case 200 -> lines.add("{\"messages\":[{\"role\":\"robot\",\"content\":\"hi " + i + "\"}]}");
                default -> { }
            }
            if (i == 1700) {
                lines.add("{\"messages\":[{\"role\":\"user\",\"content\":\"" + userMessage(seeded.get(1500))
                        + "\"},{\"role\":\"assistant\",\"content\":\"another answer\"}]}");
            }
        }
        return lines;
    }

    private static String userMessage(String line) {
        try {
            for (var message : EventCodec.mapper().readTree(line).get("messages")) {
                if (message.get("role").asText().equals("user")) {
                    return message.get("content").asText();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalArgumentException("no user message in " + line);
    }
}
