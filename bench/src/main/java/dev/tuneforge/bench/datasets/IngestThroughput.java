package dev.tuneforge.bench.datasets;

import dev.tuneforge.dataset.domain.SplitWriter;
import dev.tuneforge.dataset.tokens.ModelTokenizer;
import dev.tuneforge.dataset.validation.DatasetFormat;
import dev.tuneforge.dataset.validation.DatasetValidator;
import dev.tuneforge.events.DatasetReport;
import dev.tuneforge.tokenizer.HfTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The whole dataset pipeline's throughput on one seeded chat file, for {@code bench/datasets.sh ingest}, which
 * then runs Hugging Face {@code tokenizers}' {@code encode_batch} (Python) on the texts this program renders,
 * from the same file with the same {@code tokenizer.json}: the floor the pipeline is compared with.
 *
 * <p>Usage: {@code IngestThroughput SIZE_MB FILE RENDERED}. Generates FILE (seeded) if missing, writes every
 * example rendered with the fixture model's chat template to RENDERED (one JSON string a line, untimed), warms
 * up on 4 MB of other seeded data, then times one pass over FILE: read, parse, validate, render, tokenise,
 * hash, near-duplicates, split written and hashed. Prints one {@code ours} line with the file's MB/s and the
 * process's CPU seconds per MB (all threads; less sensitive than wall time to other work on the machine).
 */
public final class IngestThroughput {

    private IngestThroughput() {
    }

    public static void main(String[] args) throws Exception {
        long sizeMb = Long.parseLong(args[0]);
        Path file = Path.of(args[1]);
        Path rendered = Path.of(args[2]);
        if (!Files.exists(file) || Files.size(file) < sizeMb * 1024 * 1024) {
            SyntheticChatData.write(file, sizeMb * 1024 * 1024, 7);
        }
        try (HfTokenizer tokenizer = HfTokenizer.load(DatasetPipelineBenchmark.fixtureModel())) {
            writeRendered(file, rendered, tokenizer);
            ModelTokenizer counter = new ModelTokenizer("tiny-llama-gqa", tokenizer, 256);
            Path warmUp = Files.createTempFile("tuneforge-warm-up-", ".jsonl");
            SyntheticChatData.write(warmUp, 4 * 1024 * 1024, 11);
            validate(warmUp, counter);
            Files.delete(warmUp);

            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpuBefore = os.getProcessCpuTime();
            long start = System.nanoTime();
            DatasetReport report = validate(file, counter);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (os.getProcessCpuTime() - cpuBefore) / 1e9;
            double mb = Files.size(file) / (1024.0 * 1024.0);
            System.out.printf("ours: %.1f MB, %d examples, %.1f s, %.2f MB/s, %.3f CPU s per MB%n", mb,
                    report.examples(), seconds, mb / seconds, cpuSeconds / mb);
        }
    }

    private static DatasetReport validate(Path file, ModelTokenizer counter) throws IOException {
        Path out = Files.createTempDirectory("tuneforge-ingest-split-");
        DatasetReport report;
        try (SplitWriter split = new SplitWriter(out, 0.1); InputStream in = Files.newInputStream(file)) {
            report = new DatasetValidator(DatasetValidator.Limits.DEFAULTS.withContextWindow(256))
                    .validate(in, DatasetFormat.CHAT, counter, null, (example, json, hash) -> split.add(json, hash));
            split.finish();
            split.contentSha256();
        }
        try (var files = Files.list(out)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(out);
        return report;
    }

    /** Each line's conversation as the chat template renders it, as JSON strings, for the Python baseline. */
    private static void writeRendered(Path file, Path rendered, HfTokenizer tokenizer) throws IOException {
        ObjectMapper json = new ObjectMapper();
        try (Writer out = new BufferedWriter(Files.newBufferedWriter(rendered, StandardCharsets.UTF_8), 1 << 16)) {
            DatasetPipelineBenchmark.forEachRendered(file, tokenizer, text -> {
                try {
                    out.write(json.writeValueAsString(text));
                    out.write('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
