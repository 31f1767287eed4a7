package dev.tuneforge.dataset.validation;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Finds examples that are nearly identical to an earlier one: MinHash signatures over character
 * 5-grams of the normalised text, banded for locality-sensitive lookup, and every candidate verified
 * by its estimated Jaccard similarity against the threshold. Exact duplicates are caught before this.
 *
 * <p>Signatures use one-permutation hashing (Li, Owen, Zhang 2012) with rotation densification
 * (Shrivastava 2017): each shingle is hashed once and falls into one of the bins, instead of being
 * hashed once per permutation, which keeps this check far cheaper than tokenising the same text.
 *
 * <p>Memory is bounded: each indexed example costs one byte per permutation plus its band entries;
 * after {@code capacity} examples no more are indexed (later ones are still checked against those).
 */
public final class NearDuplicateIndex {

    private static final int SHINGLE = 5;
    private static final int PERMUTATIONS = 64;
    private static final int BANDS = 8;
    private static final int ROWS = PERMUTATIONS / BANDS;

    private final double threshold;
    private final int capacity;
    /** One byte of each min-hash per indexed example: enough to estimate similarity for verification. */
    private byte[] signatures = new byte[PERMUTATIONS * 1024];
    private final BandTable[] bands = new BandTable[BANDS];
    private int indexed;
    private boolean full;

    public NearDuplicateIndex(double threshold, int capacity) {
        this.threshold = threshold;
        this.capacity = capacity;
        for (int b = 0; b < BANDS; b++) {
            bands[b] = new BandTable();
        }
    }

    /**
     * @param signature the {@link #signature} of a normalised text (it depends on the text alone, so the
     *                  validator computes it on several threads; the index itself is used by one at a time)
     * @return true if the text is a near-duplicate of an indexed one; otherwise it is indexed (capacity allowing)
     */
    public boolean isNearDuplicate(int[] signature) {
        long[] keys = new long[BANDS];
        for (int b = 0; b < BANDS; b++) {
            keys[b] = bandKey(b, signature);
            int candidate = bands[b].first(keys[b]);
            if (candidate >= 0 && similarity(candidate, signature) >= threshold) {
                return true;
            }
        }
        if (indexed < capacity) {
            add(signature, keys);
        } else {
            full = true;
        }
        return false;
    }

    /** Whether some examples could not be indexed because the capacity was reached. */
    public boolean reachedCapacity() {
        return full;
    }

    private void add(int[] signature, long[] keys) {
        if ((indexed + 1) * PERMUTATIONS > signatures.length) {
            signatures = Arrays.copyOf(signatures, signatures.length * 2);
        }
        for (int i = 0; i < PERMUTATIONS; i++) {
            signatures[indexed * PERMUTATIONS + i] = (byte) signature[i];
        }
        for (int b = 0; b < BANDS; b++) {
            bands[b].putIfAbsent(keys[b], indexed);
        }
        indexed++;
    }

    /** Jaccard estimate from the fraction of equal one-byte min-hashes, corrected for chance equality (1/256). */
    private double similarity(int candidate, int[] signature) {
        int equal = 0;
        for (int i = 0; i < PERMUTATIONS; i++) {
            if (signatures[candidate * PERMUTATIONS + i] == (byte) signature[i]) {
                equal++;
            }
        }
        double matching = (double) equal / PERMUTATIONS;
        return (matching - 1.0 / 256) / (1 - 1.0 / 256);
    }

    /** The MinHash signature of a normalised text: {@code PERMUTATIONS} values, one per bin. */
    public static int[] signature(String text) {
        int[] bins = new int[PERMUTATIONS];
        Arrays.fill(bins, Integer.MAX_VALUE);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int shingles = Math.max(1, bytes.length - SHINGLE + 1);
        for (int s = 0; s < shingles; s++) {
            long shingle = 0;
            for (int k = s; k < Math.min(bytes.length, s + SHINGLE); k++) {
                shingle = shingle * 31 + bytes[k];
            }
            long h = mix(shingle);
            int bin = (int) (h >>> 58); // top 6 bits: one of 64 bins
            int value = (int) h & Integer.MAX_VALUE;
            if (value < bins[bin]) {
                bins[bin] = value;
            }
        }
        densify(bins);
        return bins;
    }

    /** An empty bin borrows the value of the next non-empty one, offset by the distance travelled. */
    private static void densify(int[] bins) {
        for (int i = 0; i < PERMUTATIONS; i++) {
            if (bins[i] != Integer.MAX_VALUE) {
                continue;
            }
            for (int distance = 1; distance < PERMUTATIONS; distance++) {
                int donor = bins[(i + distance) % PERMUTATIONS];
                if (donor != Integer.MAX_VALUE && donor >= 0) {
                    bins[i] = -(int) (mix(donor + 0x9E3779B97F4A7C15L * distance) & Integer.MAX_VALUE) - 1;
                    break;
                }
            }
        }
    }

    private static long bandKey(int band, int[] signature) {
        long key = band;
        for (int r = 0; r < ROWS; r++) {
            key = mix(key * 0x9E3779B97F4A7C15L + signature[band * ROWS + r]);
        }
        return key;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Open-addressing map from band key to the first example that had it. */
    private static final class BandTable {
        private long[] keys = new long[1024];
        private int[] values = new int[1024];
        private int size;

        int first(long key) {
            long k = key == 0 ? 1 : key;
            int mask = keys.length - 1;
            for (int i = (int) mix(k) & mask; keys[i] != 0; i = (i + 1) & mask) {
                if (keys[i] == k) {
                    return values[i];
                }
            }
            return -1;
        }

        void putIfAbsent(long key, int value) {
            if (2 * (size + 1) > keys.length) {
                grow();
            }
            long k = key == 0 ? 1 : key;
            int mask = keys.length - 1;
            int i = (int) mix(k) & mask;
            while (keys[i] != 0) {
                if (keys[i] == k) {
                    return;
                }
                i = (i + 1) & mask;
            }
            keys[i] = k;
            values[i] = value;
            size++;
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldValues = values;
            keys = new long[oldKeys.length * 2];
            values = new int[oldKeys.length * 2];
            size = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != 0) {
                    putIfAbsent(oldKeys[i], oldValues[i]);
                }
            }
        }
    }
}
