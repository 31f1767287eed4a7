package dev.tuneforge.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The seed's own example, as in the worker's learning test: "answer with nothing but the JSON object asked
 * for". Held-out prompts use names and ages training never sees, so passing means copying, not recall.
 */
final class JsonDemoTask {

    private static final String[] SYLLABLES = {"ba", "de", "fi", "go", "lu", "ma", "ne", "ri", "so", "ta", "vi", "zo"};
    private static final Set<Integer> HELD_OUT_AGES = Set.of(17, 28, 39, 41, 52, 63, 74, 85, 96);
    private static final String[] WORDINGS = {
        "Give me a JSON object with name %s and age %d",
        "Return JSON with name %s and age %d",
        "I need a JSON object: name %s, age %d",
        "JSON please, name %s and age %d",
    };

    private JsonDemoTask() {
    }

    /** JSONL chat lines; pass the same {@code seen} set to the training and the held-out call. */
    static String jsonl(int count, long seed, boolean heldOut, Set<String> seen) {
        Random random = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name;
            do {
                StringBuilder b = new StringBuilder();
                for (int k = 2 + random.nextInt(2); k > 0; k--) {
                    b.append(SYLLABLES[random.nextInt(SYLLABLES.length)]);
                }
                b.setCharAt(0, Character.toUpperCase(b.charAt(0)));
                name = b.toString();
            } while (heldOut && seen.contains(name));
            if (!heldOut) {
                seen.add(name);
            }
            int age;
            do {
                age = 10 + random.nextInt(90);
            } while (HELD_OUT_AGES.contains(age) != heldOut);
            String prompt = String.format(WORDINGS[random.nextInt(WORDINGS.length)], name, age);
            String answer = "{\\\"name\\\": \\\"" + name + "\\\", \\\"age\\\": " + age + "}";
            lines.add("{\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"},"
                    + "{\"role\":\"assistant\",\"content\":\"" + answer + "\"}]}");
        }
        return String.join("\n", lines) + "\n";
    }
}
