package dev.tuneforge.worker.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.tuneforge.worker.model.AttentionMask;
import dev.tuneforge.worker.model.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Greedy decoding of several prompts at once: the prompts are left-padded to a common length (padding
 * hidden by the mask, positions counted from each prompt's first token), so every row's next token is
 * read at the last column. Each step reruns the whole sequence (no key/value cache yet); batching the
 * prompts is what keeps evaluation fast on small models.
 */
public final class Generator {

    private final LlamaModel model;
    private final Set<Long> stopIds;
    private final long padId;

    public Generator(LlamaModel model, Set<Long> stopIds, long padId) {
        this.model = model;
        this.stopIds = Set.copyOf(stopIds);
        this.padId = padId;
    }

    /** For each prompt, the generated token ids up to (not including) a stop token or the budget. */
    public List<long[]> greedy(List<long[]> prompts, int maxNewTokens) {
        int n = prompts.size();
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        int budget = Math.max(0, Math.min(maxNewTokens, model.config().maxPositionEmbeddings() - longest));
        int width = longest + budget;
        long[][] ids = new long[n][width];
        long[][] keep = new long[n][width];
        long[][] positions = new long[n][width];
        List<List<Long>> generated = new ArrayList<>();
        boolean[] done = new boolean[n];
        for (int r = 0; r < n; r++) {
            long[] p = prompts.get(r);
            int pad = longest - p.length;
            Arrays.fill(ids[r], padId);
            for (int t = 0; t < p.length; t++) {
                ids[r][pad + t] = p[t];
                keep[r][pad + t] = 1;
                positions[r][pad + t] = t;
            }
            generated.add(new ArrayList<>());
        }
        for (int length = longest; length < width && !allDone(done); length++) {
            long[] next = nextTokens(ids, keep, positions, n, length);
            for (int r = 0; r < n; r++) {
                positions[r][length] = positions[r][length - 1] + 1;
                if (done[r] || stopIds.contains(next[r])) {
                    done[r] = true;
                    continue;
                }
                ids[r][length] = next[r];
                keep[r][length] = 1;
                generated.get(r).add(next[r]);
            }
        }
        return generated.stream().map(g -> g.stream().mapToLong(Long::longValue).toArray()).toList();
    }

    private long[] nextTokens(long[][] ids, long[][] keep, long[][] positions, int n, int length) {
        try (NDManager scratch = model.manager().newSubManager()) {
            Shape shape = new Shape(n, length);
            NDArray logits = model.forward(scratch.create(flatten(ids, length), shape),
                    scratch.create(flatten(positions, length), shape),
                    AttentionMask.padding(scratch.create(flatten(keep, length), shape)));
            return logits.get(new NDIndex(":, -1, :")).argMax(-1).toLongArray();
        }
    }

    private static long[] flatten(long[][] rows, int length) {
        long[] out = new long[rows.length * length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * length, length);
        }
        return out;
    }

    private static boolean allDone(boolean[] done) {
        for (boolean d : done) {
            if (!d) {
                return false;
            }
        }
        return true;
    }
}
