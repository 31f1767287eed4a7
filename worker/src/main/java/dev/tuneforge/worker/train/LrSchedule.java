package dev.tuneforge.worker.train;

import dev.tuneforge.worker.protocol.TrainSpec;

/**
 * The learning rate for each optimizer step, as transformers' schedulers compute it: linear warmup
 * from 0, then linear decay to 0, half a cosine to 0, or constant. Step {@code s} (0-based) uses the
 * multiplier at {@code s}, so with warmup the first update has learning rate 0, as in transformers.
 */
public record LrSchedule(TrainSpec.LrScheduler kind, double peak, long warmup, long total) {

    public double at(long step) {
        if (step < warmup) {
            return peak * step / Math.max(1, warmup);
        }
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return switch (kind) {
            case CONSTANT -> peak;
            case LINEAR -> peak * Math.max(0.0, (double) (total - step) / Math.max(1, total - warmup));
            case COSINE -> peak * Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
        };
    }
}
