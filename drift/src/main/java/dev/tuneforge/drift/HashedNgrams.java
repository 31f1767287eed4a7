package dev.tuneforge.drift;

import java.text.Normalizer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A prompt's embedding: hashed character 3-grams, the same vector as scikit-learn's
 * {@code HashingVectorizer(analyzer="char", ngram_range=(3, 3), n_features=D, alternate_sign=False, norm="l2")}
 * applied to the NFC-normalised prompt with one space added at each end. Step by step:
 *
 * <ol>
 *   <li>Unicode NFC; one space before and after (so a prompt's first and last characters start and end a gram);
 *       lower-case ({@code Locale.ROOT}); every run of two or more whitespace characters (Python's
 *       {@code str.isspace}) becomes one space, as sklearn's preprocessing does.</li>
 *   <li>Every run of 3 consecutive code points is a gram (a text of fewer than 3 has none: the zero vector).</li>
 *   <li>A gram's bucket: MurmurHash3 x86_32 (seed 0) of its UTF-8 bytes as a signed int h, bucket
 *       {@code |h| mod D} ({@code (2^31 - 1 - (D - 1)) mod D} for h = -2^31, sklearn's rule).</li>
 *   <li>The bucket counts, divided by their Euclidean norm (the zero vector stays zero).</li>
 * </ol>
 *
 * D = {@value #DEFAULT_DIMENSIONS} by default. The parity test holds this to sklearn's vectoriser.
 */
public final class HashedNgrams {

    public static final int DEFAULT_DIMENSIONS = 512;
    static final int N = 3;

    private final int dimensions;

    public HashedNgrams(int dimensions) {
        if (dimensions < 1) {
            throw new IllegalArgumentException("hashed n-grams need at least one bucket (got " + dimensions + ")");
        }
        this.dimensions = dimensions;
    }

    public HashedNgrams() {
        this(DEFAULT_DIMENSIONS);
    }

    public int dimensions() {
        return dimensions;
    }

    /**
     * The text a conversation's prompt is embedded as: its messages' contents joined by newlines. eval-service (for
     * observations with text and for training examples) and the gateway (for its text-free observation lines) both
     * embed this text, so their vectors compare.
     */
    public static String promptText(List<String> contents) {
        return String.join("\n", contents);
    }

    public double[] embed(String prompt) {
        int[] cps = preprocess(prompt);
        // The UTF-8 bytes of the whole text once; a gram's bytes are the slice between its code points' offsets.
        byte[] utf8 = new byte[cps.length * 4];
        int[] offsets = new int[cps.length + 1];
        int length = 0;
        for (int i = 0; i < cps.length; i++) {
            offsets[i] = length;
            length = putUtf8(utf8, length, cps[i]);
        }
        offsets[cps.length] = length;
        double[] v = new double[dimensions];
        for (int i = 0; i + N <= cps.length; i++) {
            int h = murmur3x86(utf8, offsets[i], offsets[i + N] - offsets[i], 0);
            int bucket = h == Integer.MIN_VALUE ? (Integer.MAX_VALUE - (dimensions - 1)) % dimensions
                    : Math.abs(h) % dimensions;
            v[bucket] += 1;
        }
        double norm = 0;
        for (double x : v) {
            norm += x * x;
        }
        if (norm > 0) {
            norm = Math.sqrt(norm);
            for (int i = 0; i < v.length; i++) {
                v[i] /= norm;
            }
        }
        return v;
    }

    private static int[] preprocess(String prompt) {
        String text = (" " + Normalizer.normalize(prompt, Normalizer.Form.NFC) + " ").toLowerCase(Locale.ROOT);
        int[] cps = text.codePoints().toArray();
        int[] out = new int[cps.length];
        int n = 0;
        int i = 0;
        while (i < cps.length) {
            if (isSpace(cps[i]) && i + 1 < cps.length && isSpace(cps[i + 1])) {
                while (i < cps.length && isSpace(cps[i])) {
                    i++;
                }
                out[n++] = ' ';
            } else {
                out[n++] = cps[i++];
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Python's str.isspace: bidi class WS, B or S, or category Zs. */
    static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85;
    }

    /** Code point to UTF-8 (a lone surrogate as '?', as String.getBytes does), at {@code at}; the new end. */
    private static int putUtf8(byte[] out, int at, int cp) {
        if (cp < 0x80) {
            out[at++] = (byte) cp;
        } else if (cp < 0x800) {
            out[at++] = (byte) (0xc0 | cp >> 6);
            out[at++] = (byte) (0x80 | cp & 0x3f);
        } else if (cp >= 0xd800 && cp <= 0xdfff) {
            out[at++] = '?';
        } else if (cp < 0x10000) {
            out[at++] = (byte) (0xe0 | cp >> 12);
            out[at++] = (byte) (0x80 | cp >> 6 & 0x3f);
            out[at++] = (byte) (0x80 | cp & 0x3f);
        } else {
            out[at++] = (byte) (0xf0 | cp >> 18);
            out[at++] = (byte) (0x80 | cp >> 12 & 0x3f);
            out[at++] = (byte) (0x80 | cp >> 6 & 0x3f);
            out[at++] = (byte) (0x80 | cp & 0x3f);
        }
        return at;
    }

    static int murmur3x86(byte[] data, int seed) {
        return murmur3x86(data, 0, data.length, seed);
    }

    /** MurmurHash3 x86_32 (Austin Appleby's reference, public domain) of data[offset, offset + length). */
    static int murmur3x86(byte[] data, int offset, int length, int seed) {
        final int c1 = 0xcc9e2d51;
        final int c2 = 0x1b873593;
        int h = seed;
        int blocks = length / 4;
        for (int b = 0; b < blocks; b++) {
            int i = offset + b * 4;
            int k = (data[i] & 0xff) | (data[i + 1] & 0xff) << 8 | (data[i + 2] & 0xff) << 16 | (data[i + 3] & 0xff) << 24;
            k *= c1;
            k = Integer.rotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = Integer.rotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }
        int tail = offset + blocks * 4;
        int k = 0;
        switch (length & 3) {
            case 3:
                k ^= (data[tail + 2] & 0xff) << 16;
                // fall through
            case 2:
                k ^= (data[tail + 1] & 0xff) << 8;
                // fall through
            case 1:
                k ^= data[tail] & 0xff;
                k *= c1;
                k = Integer.rotateLeft(k, 15);
                k *= c2;
                h ^= k;
                break;
            default:
                break;
        }
        h ^= length;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
