package dev.tuneforge.worker.eval;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * One row's generated tokens as text, as it grows: finds stop strings, and says which text is final
 * enough to stream. Text is held back while it could still change — a trailing replacement character
 * (a multi-byte character whose bytes are split across tokens) or a tail that could be the start of a
 * stop string — so the streamed pieces always add up to the final text.
 *
 * <p>Each token decodes the whole generation again: decoders are not incremental in general (byte
 * fallback, merged spaces), and a generation is short next to the forward passes it costs.
 */
final class GeneratedText {

    private static final char REPLACEMENT = '\uFFFD';

    private final Function<long[], String> decoder;
    private final List<String> stops;
    private long[] tokens = new long[16];
    private int count;
    private String text = "";
    private boolean decoded = true;
    private boolean stopped;
    private int handedOut;

    GeneratedText(Function<long[], String> decoder, List<String> stops) {
        this.decoder = decoder;
        this.stops = stops;
    }

    /** Adds a token; true when the text now contains a stop string (and is cut before it). */
    boolean add(long token) {
        if (count == tokens.length) {
            tokens = Arrays.copyOf(tokens, count * 2);
        }
        tokens[count++] = token;
        decoded = false;
        if (stops.isEmpty()) {
            return false;
        }
        String full = text();
        // A trailing replacement character may still become another character, so it cannot match yet.
        String settled = full.substring(0, withoutTrailingReplacements(full, 0));
        int cut = -1;
        for (String stop : stops) {
            int at = settled.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            text = full.substring(0, cut);
            stopped = true;
        }
        return stopped;
    }

    long[] tokens() {
        return Arrays.copyOf(tokens, count);
    }

    /** The text so far; once a stop string was found, the final text before it. */
    String text() {
        if (!decoded && !stopped) {
            text = decoder.apply(tokens());
            decoded = true;
        }
        return text;
    }

    /** The text that is settled and was not handed out before; "" when there is none yet. */
    String takeSettled() {
        String full = text();
        int end = stopped ? full.length() : settledEnd(full);
        return take(full, end);
    }

    /** Everything not handed out yet: call once generation is over. */
    String takeRest() {
        String full = text();
        return take(full, full.length());
    }

    private String take(String full, int end) {
        if (end <= handedOut || full.length() < handedOut) {
            return "";
        }
        String piece = full.substring(handedOut, end);
        handedOut = end;
        return piece;
    }

    private static int withoutTrailingReplacements(String full, int floor) {
        int end = full.length();
        while (end > floor && full.charAt(end - 1) == REPLACEMENT) {
            end--;
        }
        return end;
    }

    private int settledEnd(String full) {
        int end = withoutTrailingReplacements(full, handedOut);
        int held = 0;
        for (String stop : stops) {
            // The longest tail that is a proper prefix of a stop string may yet become that stop string.
            for (int k = Math.min(stop.length() - 1, end); k > held; k--) {
                if (full.regionMatches(end - k, stop, 0, k)) {
                    held = k;
                    break;
                }
            }
        }
        return end - held;
    }
}
