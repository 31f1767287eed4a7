package dev.tuneforge.trainer.sweeps;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The median stopping rule, as Optuna's {@code MedianPruner} (minimising): a trial that has just reported its
 * validation loss at step s is stopped when its best validation loss so far is worse (strictly greater) than the median
 * of the other trials' values at s. Optuna takes the others' values only from completed trials; here every other
 * trial that has reached s counts, running ones too, since trials run side by side (a first wave of parallel trials
 * would otherwise never be judged); an other trial's value at s is its best validation loss up to s, so one noisy
 * validation does not make it look worse; a NaN loss counts as infinitely bad. Nothing is stopped before its {@code warmupEvaluations}-th validation
 * (Optuna's {@code n_warmup_steps}, counted in validations), nor while fewer than {@code minTrials} other trials have
 * reached s (Optuna's {@code n_min_trials}). Pure: the stack tests feed it real curves, {@code MedianStoppingRuleTest}
 * hand-written ones.
 */
public record MedianStoppingRule(int warmupEvaluations, int minTrials) {

    public static final int DEFAULT_WARMUP_EVALUATIONS = 2;
    public static final int DEFAULT_MIN_TRIALS = 2;

    /** One validation of a trial. */
    public record Validation(long step, double loss) { }

    /**
     * Whether the trial whose validations are {@code own} (its latest last) must stop now.
     *
     * @param others every other trial's validations
     * @return why it stops, in words for people, or empty
     */
    public Optional<String> judge(List<Validation> own, Collection<List<Validation>> others) {
        if (own.isEmpty() || own.size() < warmupEvaluations) {
            return Optional.empty();
        }
        long step = own.stream().mapToLong(Validation::step).max().orElseThrow();
        double best = bestUpTo(own, step);
        List<Double> atStep = new ArrayList<>();
        for (List<Validation> other : others) {
            boolean reached = other.stream().anyMatch(v -> v.step() >= step);
            double value = bestUpTo(other, step);
            if (reached && !Double.isNaN(value)) {
                atStep.add(value);
            }
        }
        if (atStep.isEmpty() || atStep.size() < minTrials) {
            return Optional.empty();
        }
        double median = median(atStep);
        if (!(best > median)) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "stopped early by the median rule: best validation loss %.4f "
                + "by step %d is worse than the median %.4f of %d other trial(s) at that step", best, step, median,
                atStep.size()));
    }

    private static double bestUpTo(List<Validation> validations, long step) {
        return validations.stream().filter(v -> v.step() <= step)
                .mapToDouble(v -> Double.isNaN(v.loss()) ? Double.POSITIVE_INFINITY : v.loss()).min()
                .orElse(Double.NaN);
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
