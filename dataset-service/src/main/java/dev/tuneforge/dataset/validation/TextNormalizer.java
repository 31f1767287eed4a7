package dev.tuneforge.dataset.validation;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The form in which two texts count as the same: Unicode NFKC, lower case, runs of whitespace folded
 * to one space, trimmed. {@code "Hello,\u00a0 World"} and {@code "hello, world"} normalise alike.
 */
public final class TextNormalizer {

    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private TextNormalizer() {
    }

    public static String normalize(String text) {
        String nfkc = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        return WHITESPACE.matcher(nfkc).replaceAll(" ").trim();
    }

    /** Everything the model is shown and taught, role by role, normalised. */
    public static String normalize(Example example) {
        StringBuilder text = new StringBuilder();
        for (Message message : example.messages()) {
            text.append(message.role()).append(": ").append(normalize(message.content())).append('\n');
        }
        if (example.rejected() != null) {
            text.append("rejected: ").append(normalize(example.rejected()));
        }
        return text.toString();
    }

    /** What the model is asked: the system and user turns, normalised. Used for decontamination. */
    public static String normalizePrompt(Example example) {
        StringBuilder text = new StringBuilder();
        for (Message message : example.messages()) {
            if (!message.role().equals(Message.ASSISTANT)) {
                text.append(normalize(message.content())).append('\n');
            }
        }
        return text.toString();
    }
}
