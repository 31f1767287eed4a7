package dev.tuneforge.worker.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tuneforge.worker.model.AttentionMask;
import java.util.Arrays;
import java.util.List;

/**
 * Rows of token ids padded to the longest row, with everything the forward pass and the loss need:
 * next-token targets, position ids that restart at every example, and the segment (example) each
 * token belongs to, so that attention stays inside an example. Padding is its own segment and has no
 * targets.
 */
public record Batch(int rows, int length, long[] inputIds, long[] targets, long[] positions, long[] segments) {

    public static final long PAD_SEGMENT = -1;

    public static Batch of(List<Row> rows, List<TokenizedExample> examples, long padId) {
        int length = rows.stream()
                .mapToInt(r -> r.examples().stream().mapToInt(i -> examples.get(i).length()).sum())
                .max().orElse(0);
        int n = rows.size() * length;
        long[] ids = new long[n];
        long[] targets = new long[n];
        long[] positions = new long[n];
        long[] segments = new long[n];
        Arrays.fill(ids, padId);
        Arrays.fill(targets, TokenizedExample.IGNORE);
        Arrays.fill(segments, PAD_SEGMENT);
        for (int r = 0; r < rows.size(); r++) {
            int at = r * length;
            int segment = 0;
            for (int index : rows.get(r).examples()) {
                TokenizedExample e = examples.get(index);
                System.arraycopy(e.inputIds(), 0, ids, at, e.length());
                System.arraycopy(e.targets(), 0, targets, at, e.length());
                for (int t = 0; t < e.length(); t++) {
                    positions[at + t] = t;
                    segments[at + t] = segment;
                }
                at += e.length();
                segment++;
            }
        }
        return new Batch(rows.size(), length, ids, targets, positions, segments);
    }

    /** Tokens that carry a loss. */
    public int targetCount() {
        int n = 0;
        for (long t : targets) {
            if (t != TokenizedExample.IGNORE) {
                n++;
            }
        }
        return n;
    }

    /** Tokens that are not padding. */
    public int tokenCount() {
        int n = 0;
        for (long s : segments) {
            if (s != PAD_SEGMENT) {
                n++;
            }
        }
        return n;
    }

    /** The batch as arrays on {@code manager}, each {@code [rows, length]}. */
    public Tensors toTensors(NDManager manager) {
        Shape shape = new Shape(rows, length);
        return new Tensors(manager.create(inputIds, shape), manager.create(targets, shape),
                manager.create(positions, shape), AttentionMask.segments(manager.create(segments, shape)));
    }

    /** A batch on the device. */
    public record Tensors(NDArray inputIds, NDArray targets, NDArray positions, AttentionMask mask) { }
}
