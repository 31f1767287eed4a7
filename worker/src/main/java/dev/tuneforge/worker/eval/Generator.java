package dev.tuneforge.worker.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.tuneforge.worker.model.KvCache;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.protocol.GenerationParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * Generates from several prompts at once with a key/value cache: the prompts, left-padded to a common
 * length (padding hidden by the mask, positions counted from each prompt's first token), go through the
 * model once; then each step feeds one token per row and reuses every earlier key and value. Rows that
 * have finished keep being fed padding, which the mask hides, until the last row is done.
 */
public final class Generator {

    /** Receives text as it becomes final, for streaming; the pieces of a row add up to its text. */
    @FunctionalInterface
    public interface TextListener {
        void onText(int row, String piece);
    }

    private final LlamaModel model;
    private final Set<Long> stopIds;
    private final long padId;
    private final Function<long[], String> decoder;

    /**
     * @param stopIds end-of-sequence tokens: a row ends when it produces one
     * @param decoder token ids to text (special tokens skipped), for stop strings and streaming
     */
    public Generator(LlamaModel model, Set<Long> stopIds, long padId, Function<long[], String> decoder) {
        this.model = model;
        this.stopIds = Set.copyOf(stopIds);
        this.padId = padId;
        this.decoder = decoder;
    }

    public List<Generation> generate(List<long[]> prompts, GenerationParams params) {
        return generate(prompts, params, (row, piece) -> { });
    }

    /**
     * Generates for each prompt. Row {@code r} samples with seed {@code params.seed() + r}. The budget is
     * {@code maxNewTokens}, less where the model's context would overflow.
     */
    public List<Generation> generate(List<long[]> prompts, GenerationParams params, TextListener listener) {
        int n = prompts.size();
        if (prompts.stream().anyMatch(p -> p.length == 0)) {
            throw new IllegalArgumentException("a prompt must have at least one token");
        }
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        // A soft prompt's virtual tokens take their share of the model's context too.
        int context = model.config().maxPositionEmbeddings() - model.virtualTokenCount();
        int budget = Math.max(0, Math.min(params.maxNewTokens(), context - longest));
        Row[] rows = new Row[n];
        long seed = params.seed() != null ? params.seed() : ThreadLocalRandom.current().nextLong();
        for (int r = 0; r < n; r++) {
            rows[r] = new Row(new GeneratedText(decoder, params.stop()), new SplittableRandom(seed + r),
                    prompts.get(r).length);
        }
        if (n == 0 || budget == 0) {
            return Arrays.stream(rows).map(row -> row.finish(Generation.FinishReason.LENGTH)).toList();
        }
        Sampler sampler = params.isGreedy() ? null : new Sampler(params);
        try (NDManager scratch = model.manager().newSubManager(); KvCache cache = model.newCache()) {
            NDArray logits = prefill(scratch, cache, prompts, longest);
            for (int step = 0; ; step++) {
                long[] next = pick(logits, rows, sampler);
                logits.close();
                boolean anyActive = false;
                for (int r = 0; r < n; r++) {
                    Row row = rows[r];
                    if (row.result == null) {
                        row.accept(next[r], stopIds, step + 1 == budget);
                        emit(listener, r, row);
                        anyActive |= row.result == null;
                    }
                }
                if (!anyActive) {
                    break;
                }
                logits = decodeStep(scratch, cache, rows, next);
            }
        }
        return Arrays.stream(rows).map(row -> row.result).toList();
    }

    private static void emit(TextListener listener, int r, Row row) {
        String piece = row.result == null ? row.text.takeSettled() : row.text.takeRest();
        if (!piece.isEmpty()) {
            listener.onText(r, piece);
        }
    }

    /** The prompts through the model, filling the cache; the logits of each row's last token. */
    private NDArray prefill(NDManager scratch, KvCache cache, List<long[]> prompts, int longest) {
        int n = prompts.size();
        long[] ids = new long[n * longest];
        long[] keep = new long[n * longest];
        long[] positions = new long[n * longest];
        Arrays.fill(ids, padId);
        for (int r = 0; r < n; r++) {
            long[] p = prompts.get(r);
            int start = r * longest + longest - p.length;
            for (int t = 0; t < p.length; t++) {
                ids[start + t] = p[t];
                keep[start + t] = 1;
                positions[start + t] = t;
            }
        }
        return forward(scratch, cache, ids, positions, keep, new Shape(n, longest));
    }

    /** One token per row through the model; finished rows get padding, hidden from every later query. */
    private NDArray decodeStep(NDManager scratch, KvCache cache, Row[] rows, long[] next) {
        int n = rows.length;
        long[] ids = new long[n];
        long[] keep = new long[n];
        long[] positions = new long[n];
        for (int r = 0; r < n; r++) {
            boolean active = rows[r].result == null;
            ids[r] = active ? next[r] : padId;
            keep[r] = active ? 1 : 0;
            positions[r] = rows[r].nextPosition++;
        }
        return forward(scratch, cache, ids, positions, keep, new Shape(n, 1));
    }

    /** The logits of each row's last column, {@code [B, vocab]}; inputs and full logits are freed at once. */
    private NDArray forward(NDManager scratch, KvCache cache, long[] ids, long[] positions, long[] keep,
                            Shape shape) {
        try (NDManager step = scratch.newSubManager()) {
            NDArray logits = model.forward(step.create(ids, shape), step.create(positions, shape),
                    step.create(keep, shape), cache);
            NDArray last = logits.get(new NDIndex(":, -1, :"));
            last.attach(scratch);
            return last;
        }
    }

    /** The next token of every row: the arg max when greedy, else a draw from each row's own generator. */
    private static long[] pick(NDArray logits, Row[] rows, Sampler sampler) {
        if (sampler == null) {
            return logits.argMax(-1).toLongArray();
        }
        int vocab = Math.toIntExact(logits.getShape().get(1));
        float[] values = logits.toFloatArray();
        long[] next = new long[rows.length];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].result == null) {
                next[r] = sampler.sample(values, r * vocab, vocab, rows[r].random);
            }
        }
        return next;
    }

    /** One prompt's progress. */
    private static final class Row {
        final GeneratedText text;
        final SplittableRandom random;
        /** Where the next fed token sits: the prompt's length, then one more per step. */
        long nextPosition;
        Generation result;

        Row(GeneratedText text, SplittableRandom random, int promptLength) {
            this.text = text;
            this.random = random;
            this.nextPosition = promptLength;
        }

        void accept(long token, Set<Long> stopIds, boolean lastOfBudget) {
            if (stopIds.contains(token)) {
                result = finish(Generation.FinishReason.STOP);
            } else if (text.add(token)) {
                result = finish(Generation.FinishReason.STOP);
            } else if (lastOfBudget) {
                result = finish(Generation.FinishReason.LENGTH);
            }
        }

        Generation finish(Generation.FinishReason reason) {
            return new Generation(text.tokens(), text.text(), reason);
        }
    }
}
