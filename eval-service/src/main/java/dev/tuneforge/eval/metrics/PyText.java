package dev.tuneforge.eval.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * The few Python {@code str} operations the reference implementations rely on, reproduced exactly:
 * {@code str.split()} with no argument and {@code str.rstrip()} use Python's notion of whitespace,
 * which is wider than {@link Character#isWhitespace(int)} (it includes no-break spaces and NEL).
 */
final class PyText {

    private PyText() {
    }

    /** Python {@code str.isspace()} for one code point (bidi class WS, B or S, or category Zs). */
    static boolean isSpace(int cp) {
        return Character.isWhitespace(cp)
                || cp == 0x85 || cp == 0xA0 || cp == 0x2007 || cp == 0x202F;
    }

    /** Python {@code s.split()}: runs of whitespace separate tokens; no empty tokens. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && isSpace(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            int start = i;
            while (i < n && !isSpace(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            if (i > start) {
                out.add(s.substring(start, i));
            }
        }
        return out;
    }

    /** Python {@code s.rstrip()}. */
    static String rstrip(String s) {
        int end = s.length();
        while (end > 0) {
            int cp = s.codePointBefore(end);
            if (!isSpace(cp)) {
                break;
            }
            end -= Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    /** Python {@code s.strip()}. */
    static String strip(String s) {
        String r = rstrip(s);
        int start = 0;
        while (start < r.length()) {
            int cp = r.codePointAt(start);
            if (!isSpace(cp)) {
                break;
            }
            start += Character.charCount(cp);
        }
        return r.substring(start);
    }
}
