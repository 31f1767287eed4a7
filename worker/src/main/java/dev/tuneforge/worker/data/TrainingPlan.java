package dev.tuneforge.worker.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Every optimizer step of a run, decided before the first one: each epoch shuffles the examples with
 * a generator seeded by (seed, epoch), lays them into rows (packed or not), groups rows into
 * micro-batches and micro-batches into steps. Because the plan is a pure function of the data and the
 * spec, a resumed run finds its place from the step number alone.
 *
 * @param steps       every step in order
 * @param fingerprint digest of the data and batching; a checkpoint records it so that resuming with
 *                    other data or batching is refused instead of silently diverging (a different
 *                    length, epochs or max_steps, is allowed)
 */
public record TrainingPlan(List<Step> steps, String fingerprint) {

    /** One optimizer step: its micro-batches, each a list of rows. */
    public record Step(int epoch, int indexInEpoch, int stepsInEpoch, List<List<Row>> microBatches) {
        /** Fractional epoch at the end of this step, as transformers logs it. */
        public double epochProgress() {
            return epoch + (indexInEpoch + 1) / (double) stepsInEpoch;
        }
    }

    /**
     * @param maxSteps if positive, the run is exactly this many steps, cycling through as many epochs as
     *                 that takes (transformers' max_steps); otherwise {@code epochs} full epochs
     */
    public static TrainingPlan build(List<TokenizedExample> examples, int epochs, int maxSteps, int batchSize,
                                     int accumulation, boolean packing, int maxSeqLength, long seed) {
        List<Step> steps = new ArrayList<>();
        for (int epoch = 0; maxSteps > 0 ? steps.size() < maxSteps : epoch < epochs; epoch++) {
            List<Integer> order = new ArrayList<>(IntStream.range(0, examples.size()).boxed().toList());
            Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
            List<Row> rows = packing ? pack(order, examples, maxSeqLength) : order.stream()
                    .map(i -> new Row(List.of(i))).toList();
            List<List<Row>> micro = chunk(rows, batchSize);
            List<List<List<Row>>> grouped = chunk(micro, accumulation);
            for (int i = 0; i < grouped.size() && (maxSteps <= 0 || steps.size() < maxSteps); i++) {
                steps.add(new Step(epoch, i, grouped.size(), grouped.get(i)));
            }
        }
        return new TrainingPlan(List.copyOf(steps), fingerprint(examples,
                List.of(batchSize, accumulation, packing, maxSeqLength, seed)));
    }

    /** Greedy in order: an example goes in the current row if it fits, else it starts the next one. */
    private static List<Row> pack(List<Integer> order, List<TokenizedExample> examples, int maxSeqLength) {
        List<Row> rows = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        int used = 0;
        for (int i : order) {
            int length = examples.get(i).length();
            if (!current.isEmpty() && used + length > maxSeqLength) {
                rows.add(new Row(current));
                current = new ArrayList<>();
                used = 0;
            }
            current.add(i);
            used += length;
        }
        if (!current.isEmpty()) {
            rows.add(new Row(current));
        }
        return rows;
    }

    private static <T> List<List<T>> chunk(List<T> items, int size) {
        List<List<T>> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i += size) {
            out.add(List.copyOf(items.subList(i, Math.min(items.size(), i + size))));
        }
        return out;
    }

    /** Digest of the examples' token ids and targets, in order. */
    public static String fingerprint(List<TokenizedExample> examples) {
        return fingerprint(examples, List.of());
    }

    /** Digest of the data and of what orders and groups it, not of the run's length. */
    private static String fingerprint(List<TokenizedExample> examples, List<Object> batching) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (TokenizedExample e : examples) {
                for (long[] values : new long[][] {e.inputIds(), e.targets()}) {
                    for (long v : values) {
                        sha.update(Long.toString(v).getBytes(StandardCharsets.US_ASCII));
                        sha.update((byte) ',');
                    }
                }
                sha.update((byte) ';');
            }
            sha.update(batching.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
