package dev.tuneforge.bench.datasets;

import dev.tuneforge.dataset.domain.SplitWriter;
import dev.tuneforge.dataset.tokens.ModelTokenizer;
import dev.tuneforge.dataset.validation.DatasetFormat;
import dev.tuneforge.dataset.validation.DatasetValidator;
import dev.tuneforge.dataset.validation.Verdict;
import dev.tuneforge.events.DatasetReport;
import dev.tuneforge.tokenizer.HfTokenizer;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Streams one large JSONL file through the whole dataset pipeline (validate, render, tokenise, hash,
 * write the split) and reports throughput and the heap it needed. Run it with a small heap
 * ({@code bench/datasets.sh} uses {@code -Xmx256m}) to show memory does not grow with the file.
 *
 * <p>Usage: {@code LargeFileValidation SIZE_MB [FILE]}; the file is generated (seeded) if missing.
 */
public final class LargeFileValidation {

    private LargeFileValidation() {
    }

    public static void main(String[] args) throws Exception {
        long sizeMb = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        Path file = args.length > 1 ? Path.of(args[1]) : Path.of("target/large-" + sizeMb + "mb.jsonl");
        if (!Files.exists(file) || Files.size(file) < sizeMb * 1024 * 1024) {
            System.out.printf("generating %d MB of chat JSONL at %s ...%n", sizeMb, file);
            SyntheticChatData.write(file, sizeMb * 1024 * 1024, 7);
        }
        Path out = Files.createTempDirectory("tuneforge-large-split-");
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpuBefore = os.getProcessCpuTime();
        long start = System.nanoTime();
        DatasetReport report;
        String contentSha;
        try (HfTokenizer tokenizer = HfTokenizer.load(DatasetPipelineBenchmark.fixtureModel());
             SplitWriter split = new SplitWriter(out, 0.1);
             InputStream in = Files.newInputStream(file)) {
            ModelTokenizer counter = new ModelTokenizer("tiny-llama-gqa", tokenizer, 256);
            report = new DatasetValidator(DatasetValidator.Limits.DEFAULTS.withContextWindow(256))
                    .validate(in, DatasetFormat.CHAT, counter, null, (example, json, hash) -> split.add(json, hash));
            split.finish();
            contentSha = split.contentSha256();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (os.getProcessCpuTime() - cpuBefore) / 1e9;
        double mb = Files.size(file) / (1024.0 * 1024.0);
        System.out.printf("file: %.0f MB, %d lines, %d examples kept, accepted: %s%n", mb, report.lines(),
                report.examples(), Verdict.accepted(report));
        System.out.printf("tokens: %s%n", report.tokens());
        System.out.printf("warnings: %s%n", report.warnings().stream()
                .map(w -> w.code() + "=" + w.count()).toList());
        System.out.printf("time: %.1f s, %.2f MB/s, %.0f CPU s (all threads), content sha256 %s%n", seconds,
                mb / seconds, cpuSeconds, contentSha);
        System.out.printf("max heap: %d MB, peak heap used: %d MB, largest heap left after a collection: %d MB%n",
                Runtime.getRuntime().maxMemory() / (1024 * 1024), peakHeapMb(), liveAfterGcMb());
        try (var files = Files.list(out)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(out);
    }

    /** What the collector could not free: the pipeline's live set, unlike the peak (garbage included). */
    private static long liveAfterGcMb() {
        long live = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                live += pool.getCollectionUsage().getUsed();
            }
        }
        return live / (1024 * 1024);
    }

    private static long peakHeapMb() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak / (1024 * 1024);
    }
}
