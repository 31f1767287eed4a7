package dev.tuneforge.eval.metrics;

import java.util.List;

/**
 * A BLEU result with the same fields as sacreBLEU's {@code BLEUScore}.
 *
 * @param score      BLEU on the 0–100 scale
 * @param counts     matched n-grams for n = 1..4
 * @param totals     hypothesis n-grams for n = 1..4
 * @param precisions n-gram precisions (0–100), smoothed as configured
 * @param bp         brevity penalty
 * @param sysLen     hypothesis length in tokens
 * @param refLen     closest reference length in tokens
 */
public record BleuScore(double score, List<Long> counts, List<Long> totals, List<Double> precisions,
                        double bp, long sysLen, long refLen) {

    public BleuScore {
        counts = List.copyOf(counts);
        totals = List.copyOf(totals);
        precisions = List.copyOf(precisions);
    }
}
