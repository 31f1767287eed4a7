package dev.tuneforge.dataset.validation;

/**
 * A set of 64-bit example hashes with open addressing: 8 bytes per example rather than an object per
 * entry, so duplicate detection over millions of examples fits a small heap. 0 marks a free slot; the
 * (astronomically rare) hash 0 is remapped.
 */
public final class LongHashSet {

    private long[] slots = new long[1 << 12];
    private int size;

    /** @return true if the hash was not in the set */
    public boolean add(long hash) {
        long key = hash == 0 ? 1 : hash;
        if (2 * (size + 1) > slots.length) {
            grow();
        }
        int mask = slots.length - 1;
        int i = mix(key) & mask;
        while (slots[i] != 0) {
            if (slots[i] == key) {
                return false;
            }
            i = (i + 1) & mask;
        }
        slots[i] = key;
        size++;
        return true;
    }

    public boolean contains(long hash) {
        long key = hash == 0 ? 1 : hash;
        int mask = slots.length - 1;
        for (int i = mix(key) & mask; slots[i] != 0; i = (i + 1) & mask) {
            if (slots[i] == key) {
                return true;
            }
        }
        return false;
    }

    /** Visits every hash (in no particular order). */
    public void forEach(java.util.function.LongConsumer action) {
        for (long slot : slots) {
            if (slot != 0) {
                action.accept(slot);
            }
        }
    }

    public int size() {
        return size;
    }

    private void grow() {
        long[] old = slots;
        slots = new long[old.length * 2];
        size = 0;
        for (long key : old) {
            if (key != 0) {
                add(key);
            }
        }
    }

    private static int mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
