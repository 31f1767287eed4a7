package dev.tuneforge.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Which keys each query may attend to, turned into the additive bias the attention adds to its scores.
 * Always causal; padding and packing narrow it further. Packing several examples into one row needs a
 * block-diagonal causal mask so that no example sees another ("without cross-contamination").
 */
public sealed interface AttentionMask {

    /** Every query sees itself and the keys before it. */
    static AttentionMask causal() {
        return new Causal();
    }

    /** Causal, and keys where {@code keep} ({@code [B, T]}, 0 or 1) is 0 are hidden — padding. */
    static AttentionMask padding(NDArray keep) {
        return new Padding(keep);
    }

    /**
     * Causal within segments: a query sees a key only if both carry the same id in {@code segmentIds}
     * ({@code [B, T]}, any integers). Used with position ids that restart at each segment.
     */
    static AttentionMask segments(NDArray segmentIds) {
        return new Segments(segmentIds);
    }

    /** Exactly the given {@code [B, T, T]} matrix of allowed (non-zero or true) query/key pairs. */
    static AttentionMask explicit(NDArray allowed) {
        return new Explicit(allowed);
    }

    /**
     * {@code inner} over {@code T} real tokens, behind {@code n} virtual ones (a soft prompt): the virtual tokens
     * see each other causally, every real token sees all of them, and among themselves the real tokens see what
     * {@code inner} allows. The length asked for is {@code n + T}.
     */
    static AttentionMask afterVirtualTokens(long n, AttentionMask inner) {
        return new AfterVirtualTokens(n, inner);
    }

    /** Which pairs are allowed: boolean {@code [B or 1, T, T]}. */
    NDArray allowed(NDManager manager, long length);

    /**
     * The additive bias {@code [B or 1, 1, T, T]}: 0 where allowed, the most negative float where not.
     * transformers uses the same finite minimum, so a row with nothing allowed gives a uniform softmax
     * rather than NaN.
     */
    default NDArray bias(NDManager manager, long length) {
        NDArray allowed = allowed(manager, length);
        return allowed.toType(DataType.FLOAT32, false).sub(1f).mul(Float.MAX_VALUE).expandDims(1);
    }

    /**
     * The bias for {@code queries} new positions that follow the cached ones of a {@link KvCache}:
     * {@code [B, 1, queries, K]} where {@code keep} ({@code [B, K]}) is the padding mask of every key,
     * cached and new. A query at column {@code K - queries + i} sees the kept keys up to its own column,
     * exactly the row of the full {@link #padding} mask it would get without a cache.
     */
    static NDArray cachedPadding(NDManager manager, NDArray keep, long queries) {
        long keys = keep.getShape().get(1);
        NDArray keyColumns = manager.arange(0, Math.toIntExact(keys), 1, DataType.INT64);
        NDArray queryColumns = manager.arange(Math.toIntExact(keys - queries), Math.toIntExact(keys), 1,
                DataType.INT64);
        NDArray causal = keyColumns.expandDims(0).lte(queryColumns.expandDims(1)).expandDims(0);
        NDArray allowed = causal.logicalAnd(keep.gt(0).expandDims(1));
        return allowed.toType(DataType.FLOAT32, false).sub(1f).mul(Float.MAX_VALUE).expandDims(1);
    }

    /** Boolean {@code [1, T, T]}, true on and below the diagonal. */
    private static NDArray lowerTriangle(NDManager manager, long length) {
        NDArray positions = manager.arange(0, Math.toIntExact(length), 1, DataType.INT64);
        return positions.expandDims(0).lte(positions.expandDims(1)).expandDims(0);
    }

    record Causal() implements AttentionMask {
        @Override
        public NDArray allowed(NDManager manager, long length) {
            return lowerTriangle(manager, length);
        }
    }

    record Padding(NDArray keep) implements AttentionMask {
        @Override
        public NDArray allowed(NDManager manager, long length) {
            return lowerTriangle(manager, length).logicalAnd(keep.gt(0).expandDims(1));
        }
    }

    record Segments(NDArray segmentIds) implements AttentionMask {
        @Override
        public NDArray allowed(NDManager manager, long length) {
            NDArray same = segmentIds.expandDims(2).eq(segmentIds.expandDims(1));
            return lowerTriangle(manager, length).logicalAnd(same);
        }
    }

    record AfterVirtualTokens(long n, AttentionMask inner) implements AttentionMask {
        @Override
        public NDArray allowed(NDManager manager, long length) {
            NDArray real = inner.allowed(manager, length - n);
            long rows = real.getShape().get(0);
            NDArray virtual = lowerTriangle(manager, length).get(new NDIndex(":, :{}, :", n))
                    .broadcast(rows, n, length);
            NDArray seen = manager.ones(new Shape(rows, length - n, n)).gt(0);
            return virtual.concat(seen.concat(real, 2), 1);
        }
    }

    record Explicit(NDArray allowed) implements AttentionMask {
        @Override
        public NDArray allowed(NDManager manager, long length) {
            return allowed.getDataType() == DataType.BOOLEAN ? allowed : allowed.neq(0);
        }
    }
}
