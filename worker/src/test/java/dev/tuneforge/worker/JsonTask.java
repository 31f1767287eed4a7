package dev.tuneforge.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The seed's own example as data: "answer with nothing but the JSON object asked for". Prompts name
 * two fields and their values in varied wordings; the answer is the JSON object alone. Held-out
 * examples use names and ages that never occur in training, so passing means copying, not recall.
 */
public final class JsonTask {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] SYLLABLES = {"ba", "de", "fi", "go", "lu", "ma", "ne", "ri", "so", "ta", "vi", "zo"};
    /** Ages 10..99; these never occur in training, though all their digits do. */
    private static final Set<Integer> HELD_OUT_AGES = Set.of(17, 28, 39, 41, 52, 63, 74, 85, 96);

    private static final String[] WORDINGS = {
        "Give me a JSON object with name %s and age %d",
        "Return JSON with name %s and age %d",
        "I need a JSON object: name %s, age %d",
        "JSON please, name %s and age %d",
    };

    private JsonTask() {
    }

    /** A chat example; {@code heldOut} draws names and ages that training never sees. */
    /**
     * A chat example. Held-out examples take an age training never uses and a name (two or three
     * syllables) that is not in {@code seenNames}; training examples add their names to it.
     */
    public static ObjectNode example(Random random, boolean heldOut, Set<String> seenNames) {
        String name;
        do {
            StringBuilder b = new StringBuilder();
            for (int i = 2 + random.nextInt(2); i > 0; i--) {
                b.append(SYLLABLES[random.nextInt(SYLLABLES.length)]);
            }
            b.setCharAt(0, Character.toUpperCase(b.charAt(0)));
            name = b.toString();
        } while (heldOut && seenNames.contains(name));
        if (!heldOut) {
            seenNames.add(name);
        }
        int age;
        do {
            age = 10 + random.nextInt(90);
        } while (HELD_OUT_AGES.contains(age) != heldOut);
        String prompt = String.format(WORDINGS[random.nextInt(WORDINGS.length)], name, age);
        String answer = "{\"name\": \"" + name + "\", \"age\": " + age + "}";
        ObjectNode line = JSON.createObjectNode();
        var messages = line.putArray("messages");
        messages.addObject().put("role", "user").put("content", prompt);
        messages.addObject().put("role", "assistant").put("content", answer);
        return line;
    }

    /** Writes {@code count} examples; pass the same {@code seenNames} to the training and held-out files. */
    public static Path write(Path file, int count, long seed, boolean heldOut, Set<String> seenNames) {
        Random random = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            lines.add(example(random, heldOut, seenNames).toString());
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
