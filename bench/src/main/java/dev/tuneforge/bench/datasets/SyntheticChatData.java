package dev.tuneforge.bench.datasets;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Deterministic chat JSONL that looks like real fine-tuning data: a system prompt on some examples,
 * questions of 10–120 words, and JSON answers (the seed task: "answer with nothing but the JSON
 * object asked for"). Same seed, same bytes.
 */
public final class SyntheticChatData {

    private static final String[] WORDS = ("fine tuning is the process of taking a pre trained model and training "
            + "it further on a smaller dataset of examples that show the behaviour we want the model learns to "
            + "answer with json only when asked for a json object with the fields name age city and email the "
            + "learning rate warmup schedule epochs batch size gradient accumulation lora rank alpha dropout "
            + "evaluation loss perplexity exact match validation split tokenizer chat template").split(" ");
    private static final String[] NAMES = {"Ada", "Bo", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana"};
    private static final String[] CITIES = {"Lisbon", "Oslo", "Lagos", "Lima", "Kyoto", "Tartu", "Perth"};

    private SyntheticChatData() {
    }

    /** Writes examples until the file reaches {@code targetBytes}; returns how many were written. */
    public static long write(Path file, long targetBytes, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        long written = 0;
        long examples = 0;
        try (Writer out = new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 1 << 16)) {
            while (written < targetBytes) {
                String line = example(random, examples) + "\n";
                out.write(line);
                written += line.getBytes(StandardCharsets.UTF_8).length;
                examples++;
            }
        }
        return examples;
    }

    static String example(SplittableRandom random, long index) {
        StringBuilder question = new StringBuilder();
        int words = 10 + random.nextInt(111);
        for (int i = 0; i < words; i++) {
            question.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        String name = NAMES[random.nextInt(NAMES.length)];
        int age = 18 + random.nextInt(70);
        String city = CITIES[random.nextInt(CITIES.length)];
        question.append(". Give me a JSON object for ").append(name).append(", ").append(age).append(", ")
                .append(city).append(" (request ").append(index).append(")");
        String answer = "{\\\"name\\\": \\\"" + name + "\\\", \\\"age\\\": " + age + ", \\\"city\\\": \\\"" + city
                + "\\\", \\\"request\\\": " + index + "}";
        String system = random.nextInt(3) == 0
                ? "{\"role\":\"system\",\"content\":\"Reply with JSON only.\"}," : "";
        return "{\"messages\":[" + system + "{\"role\":\"user\",\"content\":\"" + question + "\"},"
                + "{\"role\":\"assistant\",\"content\":\"" + answer + "\"}]}";
    }
}
