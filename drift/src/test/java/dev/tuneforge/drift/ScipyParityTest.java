package dev.tuneforge.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every drift statistic equals its reference on the same arrays, checked live: the cases (seeded arrays of many
 * sizes, with ties and tiny samples) go to src/test/python/drift_reference.py, which computes them with scipy 1.17
 * and scikit-learn 1.9 (worker/python's environment, test extra), and each Java value must equal the reference to
 * {@value #TOLERANCE} (absolute for values in [0, 1] — KS D and p, JS, AUC, p-values — relative beyond: Wasserstein,
 * PSI, MMD²). The largest deviation seen is printed (docs/ARCHITECTURE.md, "Drift statistics", records it).
 */
class ScipyParityTest {

    static final double TOLERANCE = 1e-9;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Map<String, Object>> inputs = new ArrayList<>();
    private final List<Map<String, Double>> javaValues = new ArrayList<>();
    private final List<double[][]> javaVectors = new ArrayList<>();

    @Test
    void every_statistic_equals_scipy_and_scikit_learn_on_the_same_arrays(@TempDir Path dir) throws Exception {
        Random random = new Random(17);
        int[][] sizes = {{1, 1}, {1, 7}, {2, 3}, {5, 5}, {8, 13}, {10, 10}, {20, 35}, {50, 50}, {64, 48},
                {100, 80}, {200, 1000}, {500, 500}, {1000, 1000}, {3000, 400}, {10000, 250}, {12000, 300}};
        for (int[] size : sizes) {
            for (Shape shape : Shape.values()) {
                double[] a = shape.draw(random, size[0], 0);
                double[] b = shape.draw(random, size[1], shape == Shape.CONTINUOUS ? 0.2 : 1);
                addKs(shape + " " + size[0] + "x" + size[1], a, b);
                addWasserstein(shape + " " + size[0] + "x" + size[1], a, b);
                if (size[0] >= 2) {
                    addPsi(shape + " " + size[0] + "x" + size[1], a, b, shape != Shape.CONTINUOUS);
                }
            }
        }
        // A drifted sample whose exact KS p-value is tiny, and identical samples (D = 0, p = 1).
        addKs("shifted 300x200", Shape.CONTINUOUS.draw(random, 300, 0), Shape.CONTINUOUS.draw(random, 200, 1.5));
        double[] same = Shape.LENGTHS.draw(random, 40, 0);
        addKs("identical 40x40", same, same.clone());
        for (int vocabulary : new int[] {2, 10, 1000, 32000}) {
            for (int tokens : new int[] {1, 50, 5000}) {
                String name = "vocabulary " + vocabulary + ", " + tokens + " tokens";
                long[] reference = zipf(random, vocabulary, tokens * 3 + 1);
                long[] window = zipf(random, vocabulary, tokens);
                addJs(name, window, reference);
                addVocabularyShift(name, reference, window);
            }
        }
        for (int n : new int[] {2, 5, 30, 400, 5000}) {
            for (int levels : new int[] {2, 5, 0}) {
                addRocAuc("n " + n + ", score levels " + (levels == 0 ? "continuous" : levels), random, n, levels);
            }
        }
        long[][] proportions = {{0, 10, 0, 10}, {10, 10, 10, 10}, {95, 100, 90, 100}, {480, 500, 430, 500},
                {1, 3, 2, 7}, {9000, 10000, 8900, 10000}};
        for (long[] p : proportions) {
            addTwoProportion(p);
        }
        HashedNgrams ngrams = new HashedNgrams();
        for (int[] size : new int[][] {{2, 2}, {5, 9}, {40, 30}}) {
            addMmd("embeddings " + size[0] + "x" + size[1], embed(ngrams, random, size[0], 0),
                    embed(ngrams, random, size[1], 1));
        }
        addMmd("identical vectors", new double[][] {{1, 0}, {1, 0}}, new double[][] {{1, 0}, {1, 0}});
        addHashedNgrams(ngrams, List.of("", "a", "ab", "abc", "Hello, World!", "  several   spaces\tand\ttabs  ",
                "Ünïcödé café — naïve", "cafe\u0301 (decomposed é)", "emoji 🤖🚀 and 漢字 and Ελληνικά",
                "line\nbreaks\r\nand\u00a0nbsp", "{\"json\": [1, 2, 3]}", prompt(random, 0), prompt(random, 1)));
        addHashedNgrams(new HashedNgrams(7), List.of("tiny dimension", "hashes collide here a lot"));
        DomainClassifier.Result classifier = DomainClassifier.fit(embed(ngrams, random, 60, 0),
                embed(ngrams, random, 60, 1), 128, 5);
        addAuc("domain classifier held-out scores", classifier.heldOutCurrent(), classifier.heldOutScores(),
                classifier.rocAuc());

        Path casesFile = dir.resolve("cases.json");
        Path outFile = dir.resolve("reference.json");
        JSON.writeValue(casesFile.toFile(), inputs);
        runReference(casesFile, outFile);
        JsonNode reference = JSON.readTree(outFile.toFile());
        assertEquals(inputs.size(), reference.size(), "one reference result per case");

        double worst = 0;
        String worstCase = "";
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            String name = inputs.get(i).get("statistic") + " [" + inputs.get(i).get("name") + "]";
            for (Map.Entry<String, Double> e : javaValues.get(i).entrySet()) {
                double expected = reference.get(i).get(e.getKey()).asDouble();
                double deviation = deviation(e.getValue(), expected);
                if (deviation > worst) {
                    worst = deviation;
                    worstCase = name + " " + e.getKey();
                }
                if (!(deviation <= TOLERANCE)) {
                    failures.add(name + " " + e.getKey() + ": java " + e.getValue() + ", reference " + expected);
                }
            }
            double[][] vectors = javaVectors.get(i);
            if (vectors != null) {
                JsonNode expected = reference.get(i).get("vectors");
                for (int r = 0; r < vectors.length; r++) {
                    for (int c = 0; c < vectors[r].length; c++) {
                        double deviation = Math.abs(vectors[r][c] - expected.get(r).get(c).asDouble());
                        worst = Math.max(worst, deviation);
                        if (!(deviation <= TOLERANCE)) {
                            failures.add(name + " prompt " + r + " bucket " + c + ": java " + vectors[r][c]
                                    + ", reference " + expected.get(r).get(c).asDouble());
                        }
                    }
                }
            }
        }
        System.out.printf("drift parity: %d cases, largest deviation %.3g (%s)%n", inputs.size(), worst, worstCase);
        assertTrue(failures.isEmpty(), failures.size() + " statistics differ from scipy/sklearn:\n"
                + String.join("\n", failures));
    }

    /** Absolute for values in [0, 1], relative beyond. */
    private static double deviation(double actual, double expected) {
        return Math.abs(actual - expected) / Math.max(1.0, Math.abs(expected));
    }

    private void runReference(Path cases, Path out) throws IOException, InterruptedException {
        String python = System.getProperty("tuneforge.python");
        assertTrue(python != null && Files.isExecutable(Path.of(python)), "the parity test needs worker/python's"
                + " environment (bin/tuneforge python-env, or build with -am so worker/python makes it); not found: "
                + python);
        Process process = new ProcessBuilder(python, "src/test/python/drift_reference.py", cases.toString(),
                out.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "drift_reference.py did not finish");
        assertEquals(0, process.exitValue(), "drift_reference.py failed:\n" + output);
    }

    private Map<String, Object> input(String statistic, String name) {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("statistic", statistic);
        in.put("name", name);
        inputs.add(in);
        javaValues.add(new LinkedHashMap<>());
        javaVectors.add(null);
        return in;
    }

    private Map<String, Double> javaValues() {
        return javaValues.get(javaValues.size() - 1);
    }

    private void addKs(String name, double[] a, double[] b) {
        Map<String, Object> in = input("ks", name);
        in.put("a", a);
        in.put("b", b);
        KolmogorovSmirnov.Result r = KolmogorovSmirnov.test(a, b);
        assertTrue(r.method() != KolmogorovSmirnov.PValueMethod.KOLMOGOROV_LIMIT, name + ": " + r.method());
        javaValues().put("statistic", r.statistic());
        javaValues().put("pvalue", r.pValue());
    }

    private void addWasserstein(String name, double[] a, double[] b) {
        Map<String, Object> in = input("wasserstein", name);
        in.put("a", a);
        in.put("b", b);
        javaValues().put("value", Wasserstein.distance(a, b));
    }

    private void addPsi(String name, double[] a, double[] b, boolean integer) {
        Map<String, Object> in = input("psi", name);
        in.put("a", a);
        in.put("b", b);
        in.put("integer", integer);
        javaValues().put("value", PopulationStability.index(a, b, integer));
    }

    private void addJs(String name, long[] p, long[] q) {
        Map<String, Object> in = input("js", name);
        in.put("p", p);
        in.put("q", q);
        javaValues().put("value", JensenShannon.distance(p, q));
    }

    private void addVocabularyShift(String name, long[] reference, long[] window) {
        Map<String, Object> in = input("vocabulary_shift", name);
        in.put("p", reference);
        in.put("q", window);
        VocabularyShift.Result r = VocabularyShift.test(reference, window);
        javaValues().put("value", r.distance());
        javaValues().put("pvalue", r.pValue());
    }

    private void addRocAuc(String name, Random random, int n, int levels) {
        boolean[] labels = new boolean[n];
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i == 0 || (i != 1 && random.nextBoolean());
            double s = random.nextGaussian() + (labels[i] ? 0.7 : 0);
            scores[i] = levels == 0 ? s : Math.floor(Math.max(0, Math.min(levels - 1, s + levels / 2.0)));
        }
        addAuc(name, labels, scores, RocAuc.score(labels, scores));
    }

    private void addAuc(String name, boolean[] labels, double[] scores, double auc) {
        Map<String, Object> in = input("roc_auc", name);
        in.put("labels", labels);
        in.put("scores", scores);
        javaValues().put("value", auc);
    }

    private void addTwoProportion(long[] p) {
        Map<String, Object> in = input("two_proportion", p[0] + "/" + p[1] + " vs " + p[2] + "/" + p[3]);
        in.put("x1", p[0]);
        in.put("n1", p[1]);
        in.put("x2", p[2]);
        in.put("n2", p[3]);
        TwoProportionTest.Result r = TwoProportionTest.test(p[0], p[1], p[2], p[3]);
        javaValues().put("z", r.z());
        javaValues().put("pvalue", r.pValue());
    }

    private void addMmd(String name, double[][] x, double[][] y) {
        Map<String, Object> in = input("mmd", name);
        in.put("x", x);
        in.put("y", y);
        MaximumMeanDiscrepancy.Result r = MaximumMeanDiscrepancy.test(x, y, 0, 0);
        javaValues().put("value", r.mmd2());
        javaValues().put("bandwidth", r.bandwidth());
    }

    private void addHashedNgrams(HashedNgrams ngrams, List<String> prompts) {
        Map<String, Object> in = input("hashed_ngrams", prompts.size() + " prompts, D " + ngrams.dimensions());
        in.put("prompts", prompts);
        in.put("dimensions", ngrams.dimensions());
        javaVectors.set(javaVectors.size() - 1, prompts.stream().map(ngrams::embed).toArray(double[][]::new));
    }

    /** Shapes of 1-D samples: continuous, token lengths (integers, ties) and a few levels (heavy ties). */
    enum Shape {
        CONTINUOUS, LENGTHS, FEW_LEVELS;

        double[] draw(Random random, int n, double shift) {
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                double g = random.nextGaussian() + shift;
                out[i] = switch (this) {
                    case CONTINUOUS -> g;
                    case LENGTHS -> Math.max(1, Math.round(Math.exp(4 + 0.6 * g)));
                    case FEW_LEVELS -> Math.max(0, Math.min(3, Math.round(g + 1)));
                };
            }
            return out;
        }
    }

    static long[] zipf(Random random, int vocabulary, int tokens) {
        long[] counts = new long[vocabulary];
        for (int i = 0; i < tokens; i++) {
            int id = (int) Math.min(vocabulary - 1, Math.floor(Math.exp(random.nextDouble() * Math.log(vocabulary))) - 1);
            counts[id]++;
        }
        return counts;
    }

    static double[][] embed(HashedNgrams ngrams, Random random, int n, int topic) {
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) {
            out[i] = ngrams.embed(prompt(random, topic));
        }
        return out;
    }

    private static final String[][] WORDS = {
            {"summarise", "the", "invoice", "customer", "order", "total", "refund", "shipping", "address", "date"},
            {"translate", "poem", "into", "french", "verse", "rhyme", "moon", "river", "song", "night"}};

    static String prompt(Random random, int topic) {
        StringBuilder sb = new StringBuilder();
        int words = 4 + random.nextInt(12);
        for (int i = 0; i < words; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(WORDS[topic][random.nextInt(WORDS[topic].length)]);
        }
        return sb.toString();
    }
}
