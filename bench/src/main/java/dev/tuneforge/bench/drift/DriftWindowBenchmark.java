package dev.tuneforge.bench.drift;

import dev.tuneforge.drift.DriftThresholds;
import dev.tuneforge.drift.HashedNgrams;
import dev.tuneforge.drift.Observation;
import dev.tuneforge.drift.OutputValidity;
import dev.tuneforge.drift.TrafficSample;
import dev.tuneforge.drift.WindowReport;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The drift window statistics (issue #17: at least 100k observations/s on one core) against a plain loop over the
 * same arrays, one thread, one JVM. A window of {@code windowSize} observations is compared with a 2,000-observation
 * reference:
 * <ul>
 *   <li>{@code windowReport}: {@link WindowReport#compute} with the default thresholds, every metric (PSI, KS,
 *       Wasserstein on both lengths, vocabulary JS with its p-value, the domain classifier, MMD with 200
 *       permutations, the validity test) on features already extracted;</li>
 *   <li>{@code features}: extracting the window's features from its observations (hashed 3-grams of each prompt,
 *       Jackson parse of each completion, the token-id histogram), the per-observation part;</li>
 *   <li>{@code plainLoop}: the floor, one pass summing every array the report reads (both samples' lengths,
 *       vocabulary counts and embeddings).</li>
 * </ul>
 * {@link #main} prints observations/s of each and the ratio report / plain loop.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
@Fork(1)
public class DriftWindowBenchmark {

    static final int REFERENCE_SIZE = 2000;
    static final int VOCABULARY = 32000;
    static final String[] WORDS = {"summarise", "the", "invoice", "for", "customer", "order", "total", "refund",
            "shipping", "address", "date", "please", "list", "items", "amount", "due", "in", "json", "and", "a"};

    /** 1000: eval-service's default window (tuneforge.drift.window-observations); 500 was it before 2026-12-06. */
    @Param({"500", "1000", "10000"})
    public int windowSize;

    TrafficSample reference;
    TrafficSample window;
    List<Observation> windowObservations;
    final DriftThresholds thresholds = DriftThresholds.defaults();
    final HashedNgrams ngrams = new HashedNgrams();
    final OutputValidity validity = new OutputValidity();

    @Setup(Level.Trial)
    public void setUp() {
        reference = sample(observations(REFERENCE_SIZE, 1));
        windowObservations = observations(windowSize, 2);
        window = sample(windowObservations);
    }

    @Benchmark
    public WindowReport windowReport() {
        return WindowReport.compute(reference, window, thresholds, 42);
    }

    @Benchmark
    public TrafficSample features() {
        return sample(windowObservations);
    }

    @Benchmark
    public double plainLoop() {
        return sum(reference) + sum(window);
    }

    private static double sum(TrafficSample s) {
        double total = 0;
        for (double v : s.promptLengths()) {
            total += v;
        }
        for (double v : s.completionLengths()) {
            total += v;
        }
        for (long c : s.completionVocabulary()) {
            total += c;
        }
        for (double[] e : s.promptEmbeddings()) {
            for (double v : e) {
                total += v;
            }
        }
        return total + s.validOutputs();
    }

    private TrafficSample sample(List<Observation> observations) {
        TrafficSample.Builder builder = new TrafficSample.Builder(ngrams, validity, VOCABULARY);
        observations.forEach(builder::add);
        return builder.build();
    }

    /** Seeded chat-like traffic: prompts of 3-40 words, completions of log-normal length, Zipf token ids. */
    public static List<Observation> observations(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Observation> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int words = 3 + random.nextInt(38);
            StringBuilder prompt = new StringBuilder();
            int[] promptIds = new int[words];
            for (int w = 0; w < words; w++) {
                int word = random.nextInt(WORDS.length);
                prompt.append(w == 0 ? "" : " ").append(WORDS[word]);
                promptIds[w] = word;
            }
            int length = (int) Math.max(1, Math.exp(3.5 + random.nextDouble() * 1.5));
            int[] completionIds = new int[length];
            for (int t = 0; t < length; t++) {
                completionIds[t] = (int) Math.min(VOCABULARY - 1, Math.exp(random.nextDouble() * Math.log(VOCABULARY)));
            }
            String completion = "{\"answer\": \"ok\", \"tokens\": " + length + (random.nextInt(10) == 0 ? "" : "}");
            out.add(Observation.withText(prompt.toString(), promptIds, completion, completionIds));
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(DriftWindowBenchmark.class.getSimpleName()).build()).run();
        System.out.println();
        for (String size : new String[] {"1000", "10000"}) {
            double report = score(results, "windowReport", size);
            double features = score(results, "features", size);
            double loop = score(results, "plainLoop", size);
            int n = Integer.parseInt(size);
            System.out.printf("window %s: report %.2f ms (%.0f observations/s), features %.2f ms (%.0f observations/s),"
                    + " plain loop %.3f ms; ratio report / plain loop = %.1f%n", size, report, n / report * 1000,
                    features, n / features * 1000, loop, report / loop);
        }
    }

    private static double score(Collection<RunResult> results, String method, String size) {
        return results.stream().filter(r -> r.getParams().getBenchmark().endsWith("." + method)
                        && size.equals(r.getParams().getParam("windowSize")))
                .findFirst().orElseThrow().getPrimaryResult().getScore();
    }
}
