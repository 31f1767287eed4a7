package dev.tuneforge.events;

import java.util.List;
import java.util.Map;

/**
 * A user asks for a hyperparameter sweep: trials of one recipe that differ in the parameters of {@code searchSpace},
 * each an ordinary job of trainer-service, compared on their validation loss (lower is better); the best trial
 * that succeeded is the sweep's candidate for the gate.
 *
 * @param method          the base recipe's method ({@code lora}, {@code full}, {@code dpo}); a trial may override it
 *                        when {@code method} is a parameter of the search space
 * @param hyperparameters the base recipe's values, as a job takes them; each trial's parameters replace these
 * @param searchSpace     per parameter (a hyperparameter's name or {@code method}): a list of values (grid or random),
 *                        or, for {@code random} only, a range {@code {min, max, log}} (integers drawn when min and max
 *                        are integers and log is false)
 * @param strategy        {@code grid} (the cartesian product, in the order of the parameters and their values) or
 *                        {@code random} (seeded draws)
 * @param maxTrials       at most this many trials (grid: the first ones of the product); null: the whole grid, 10
 *                        random draws
 * @param parallelism     at most this many trials requested and not yet ended at once; null: 2
 * @param seed            the random draws' seed; null: 0
 * @param medianStop      the median stopping rule, or null for no early stopping
 * @param runtime         as a job's; null means trainer-service's default
 * @param gate            the gate the best trial is evaluated against, as a pipeline's (null: the default gate)
 */
public record SweepRequested(
        String projectId,
        String sweepId,
        String baseModel,
        String datasetId,
        int datasetVersion,
        String method,
        Map<String, Object> hyperparameters,
        Map<String, Object> searchSpace,
        String strategy,
        Integer maxTrials,
        Integer parallelism,
        Long seed,
        MedianStop medianStop,
        String modelName,
        String requestedBy,
        String runtime,
        Map<String, Object> gate) implements TuneforgeEvent {

    /**
     * The median stopping rule (Optuna's {@code MedianPruner} on the trials' best validation loss so far): after its
     * {@code warmupEvaluations}-th validation, a trial whose best validation loss so far is worse than the median of
     * the other trials' best validation loss up to the same step is stopped, provided at least {@code minTrials}
     * other trials have reached that step.
     */
    public record MedianStop(Integer warmupEvaluations, Integer minTrials) {
    }

    /** The trials' parameter names in the order the search space lists them. */
    public List<String> parameters() {
        return searchSpace == null ? List.of() : List.copyOf(searchSpace.keySet());
    }

    @Override
    public String aggregateId() {
        return sweepId;
    }
}
