package dev.tuneforge.dataset.validation;

import java.text.Normalizer;
import java.util.Locale;

/**
 * The form in which two texts count as the same: Unicode NFKC, lower case, runs of whitespace folded
 * to one space, trimmed. {@code "Hello,\u00a0 World"} and {@code "hello, world"} normalise alike.
 */
public final class TextNormalizer {

    private TextNormalizer() {
    }

    public static String normalize(String text) {
        String nfkc = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        return foldWhitespace(nfkc).trim();
    }

    /**
     * Each run of whitespace as one space: what {@code replaceAll("\\s+", " ")} gives (regex {@code \s} is
     * space, tab, line feed, vertical tab, form feed and carriage return), without a regex, which cost as much
     * as the rest of the normalisation; a text with single spaces only is returned as it is.
     */
    private static String foldWhitespace(String text) {
        int i = 0;
        while (i < text.length() && !(isSpace(text.charAt(i))
                && (text.charAt(i) != ' ' || i + 1 < text.length() && isSpace(text.charAt(i + 1))))) {
            i++;
        }
        if (i == text.length()) {
            return text;
        }
        StringBuilder folded = new StringBuilder(text.length()).append(text, 0, i);
        while (i < text.length()) {
            char c = text.charAt(i++);
            if (isSpace(c)) {
                folded.append(' ');
                while (i < text.length() && isSpace(text.charAt(i))) {
                    i++;
                }
            } else {
                folded.append(c);
            }
        }
        return folded.toString();
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
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
