package dev.tuneforge.bench.datasets;

import dev.tuneforge.dataset.domain.SplitWriter;
import dev.tuneforge.dataset.tokens.ModelTokenizer;
import dev.tuneforge.dataset.validation.DatasetFormat;
import dev.tuneforge.dataset.validation.DatasetValidator;
import dev.tuneforge.events.DatasetReport;
import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.tokenizer.HfTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The dataset pipeline (read, parse, validate, render the chat template, tokenise, hash, write the
 * split) against its floor: tokenising the same rendered text with the same tokenizer. Both run in
 * one JVM on the same file; {@link #main} prints pipeline / bare.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true"})
public class DatasetPipelineBenchmark {

    /** Examples in the benchmark file (about 3 MB). */
    static final int BYTES = 3 * 1024 * 1024;

    Path directory;
    Path file;
    HfTokenizer tokenizer;
    ModelTokenizer counter;
    List<String> renderedTexts;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        directory = Files.createTempDirectory("tuneforge-bench-");
        file = directory.resolve("data.jsonl");
        SyntheticChatData.write(file, BYTES, 42);
        Path model = fixtureModel();
        tokenizer = HfTokenizer.load(model);
        counter = new ModelTokenizer("tiny-llama-gqa", tokenizer, 256);
        renderedTexts = render(file, tokenizer);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        tokenizer.close();
    }

    /** The floor: only the tokenizer, on text already rendered and in memory. */
    @Benchmark
    public long bareTokenization() {
        long tokens = 0;
        for (String text : renderedTexts) {
            tokens += tokenizer.encode(text, false).length;
        }
        return tokens;
    }

    /** Everything the service does with an upload, from bytes on disk to a written split. */
    @Benchmark
    public DatasetReport wholePipeline(Blackhole blackhole) throws IOException {
        Path out = Files.createTempDirectory(directory, "split-");
        DatasetReport report;
        try (SplitWriter split = new SplitWriter(out, 0.1); InputStream in = Files.newInputStream(file)) {
            report = new DatasetValidator(DatasetValidator.Limits.DEFAULTS.withContextWindow(256))
                    .validate(in, DatasetFormat.CHAT, counter, null, (example, json, hash) -> split.add(json, hash));
            split.finish();
            blackhole.consume(split.contentSha256());
        }
        try (var files = Files.list(out)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(out);
        return report;
    }

    private static List<String> render(Path file, HfTokenizer tokenizer) throws IOException {
        List<String> texts = new ArrayList<>();
        forEachRendered(file, tokenizer, texts::add);
        return texts;
    }

    /** Each line's conversation rendered with the chat template, in file order (what gets tokenised). */
    static void forEachRendered(Path file, HfTokenizer tokenizer, Consumer<String> texts) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                List<ChatMessage> messages = new ArrayList<>();
                for (JsonNode m : mapper.readTree(line).get("messages")) {
                    messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
                }
                texts.accept(tokenizer.renderChat(messages, false));
            }
        }
    }

    static Path fixtureModel() {
        Path dir = Path.of(System.getProperty("tuneforge.fixtures.dir", "../shared/fixtures"), "tiny-llama-gqa")
                .toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("fixture model not found at " + dir + " (-Dtuneforge.fixtures.dir=...)");
        }
        return dir;
    }

    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(DatasetPipelineBenchmark.class.getSimpleName())
                .jvmArgsAppend("-Dtuneforge.fixtures.dir=" + fixtureModel().getParent())
                .build()).run();
        double bare = score(results, "bareTokenization");
        double pipeline = score(results, "wholePipeline");
        System.out.printf("%nbare tokenisation: %.1f ms, whole pipeline: %.1f ms, ratio pipeline/bare = %.2f%n",
                bare, pipeline, pipeline / bare);
    }

    private static double score(Collection<RunResult> results, String method) {
        return results.stream().filter(r -> r.getParams().getBenchmark().endsWith("." + method))
                .findFirst().orElseThrow().getPrimaryResult().getScore();
    }
}
