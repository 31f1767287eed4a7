package dev.tuneforge.gateway.domain;

import dev.tuneforge.events.SweepRequested;
import dev.tuneforge.gateway.storage.SweepReadModel;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.recipe.RecipeException;
import dev.tuneforge.kit.recipe.SearchSpace;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Hyperparameter sweeps, run by trainer-service: the gateway checks a sweep as it checks a job — the dataset, the base
 * model, the base recipe — and, besides, that the search space can be expanded and that every trial's recipe would be
 * accepted ({@link SearchSpace#recipeProblems}: each value in the base recipe, named by its path such as
 * {@code search_space.learning_rate[2]}), the median rule's settings and the gate (as a pipeline's); every problem in
 * one 422 {@code invalid-sweep}. It then only announces {@code SweepRequested}; the read model shows the sweep once it
 * is projected, and its trials as their jobs appear ({@link #show}).
 */
@ApplicationScoped
public class Sweeps {

    private static final List<String> MEDIAN_STOP_SETTINGS = List.of("enabled", "warmup_evaluations", "min_trials");

    private final TrainingJobs jobs;
    private final Pipelines pipelines;
    private final SweepReadModel sweeps;
    private final Outbox outbox;

    public Sweeps(TrainingJobs jobs, Pipelines pipelines, SweepReadModel sweeps, Outbox outbox) {
        this.jobs = jobs;
        this.pipelines = pipelines;
        this.sweeps = sweeps;
        this.outbox = outbox;
    }

    /**
     * A sweep as the user asks for it; null fields take defaults (strategy {@code grid}, median stopping on with
     * trainer-service's defaults, parallelism 2, seed 0).
     *
     * @param medianStop {@code {enabled, warmup_evaluations, min_trials}}; {@code enabled: false} turns it off
     */
    public record Config(String datasetId, Integer datasetVersion, String baseModel, String modelName, String method,
                         Map<String, Object> hyperparameters, Map<String, Object> searchSpace, String strategy,
                         Integer maxTrials, Integer parallelism, Long seed, Map<String, Object> medianStop,
                         String runtime, Map<String, Object> gate) {
    }

    public SweepRequested create(Caller caller, Config config) {
        String strategy = config.strategy() == null ? "grid" : config.strategy();
        List<String> errors = new ArrayList<>(SearchSpace.shapeProblems(config.searchSpace(), strategy,
                config.maxTrials()));
        boolean spaceOk = errors.isEmpty();
        if (config.parallelism() != null && (config.parallelism() < 1 || config.parallelism() > SearchSpace.MAX_TRIALS)) {
            errors.add("parallelism: must be 1 to " + SearchSpace.MAX_TRIALS + ", got " + config.parallelism());
        }
        if (config.seed() != null && config.seed() < 0) {
            errors.add("seed: must be >= 0, got " + config.seed());
        }
        SweepRequested.MedianStop medianStop = medianStop(config.medianStop(), errors);
        errors.addAll(pipelines.gateProblems(caller.projectId(), config.gate()));
        TrainingJobs.Checked checked = null;
        try {
            checked = jobs.check(caller.projectId(), config.datasetId(), config.datasetVersion(), config.baseModel(),
                    config.method(), config.hyperparameters(), config.modelName(), config.runtime(), true);
        } catch (DomainException e) {
            if (e.errors() == null) {
                throw e;
            }
            errors.addAll(e.errors());
        }
        if (checked != null && spaceOk) {
            errors.addAll(SearchSpace.recipeProblems(checked.recipe().method(), config.hyperparameters(),
                    config.searchSpace(), checked.version().trainExamples(), BaseModelCatalog.shape(checked.baseModel())));
        }
        if (!errors.isEmpty()) {
            throw DomainException.unprocessable("invalid-sweep", "Invalid sweep", errors);
        }
        SweepRequested event = new SweepRequested(caller.projectId(),
                "swp_" + UUID.randomUUID().toString().replace("-", ""), config.baseModel(), checked.dataset().id(),
                checked.version().version(), checked.recipe().method(),
                config.hyperparameters() == null ? Map.of() : config.hyperparameters(), config.searchSpace(), strategy,
                config.maxTrials(), config.parallelism(), config.seed(), medianStop, checked.modelName(),
                caller.keyId(), config.runtime(), config.gate());
        publish(event);
        return event;
    }

    private static SweepRequested.MedianStop medianStop(Map<String, Object> settings, List<String> errors) {
        if (settings == null) {
            return new SweepRequested.MedianStop(null, null);
        }
        settings.keySet().stream().filter(k -> !MEDIAN_STOP_SETTINGS.contains(k))
                .forEach(k -> errors.add("median_stop." + k + ": unknown (known: " + String.join(", ",
                        MEDIAN_STOP_SETTINGS) + ")"));
        Object enabled = settings.get("enabled");
        if (enabled != null && !(enabled instanceof Boolean)) {
            errors.add("median_stop.enabled: must be true or false, got " + enabled);
        }
        Integer warmup = positive(settings, "warmup_evaluations", errors);
        Integer minTrials = positive(settings, "min_trials", errors);
        return Boolean.FALSE.equals(enabled) ? null : new SweepRequested.MedianStop(warmup, minTrials);
    }

    private static Integer positive(Map<String, Object> settings, String name, List<String> errors) {
        Object value = settings.get(name);
        if (value == null) {
            return null;
        }
        if (!(value instanceof Integer i) || i < 1) {
            errors.add("median_stop." + name + ": must be an integer >= 1, got " + value);
            return null;
        }
        return i;
    }

    /**
     * The sweep with every trial: the trials its search space expands to (the same expansion trainer-service makes),
     * each with its job once requested — its state ({@code stopped_early} when the median rule stopped it), its best
     * validation loss so far, and whether it is the best.
     */
    public Optional<SweepView> show(String projectId, String sweepId) {
        return sweeps.find(projectId, sweepId).map(sweep -> {
            Map<Integer, SweepReadModel.TrialJob> byIndex = new HashMap<>();
            sweeps.trialJobs(projectId, sweepId).forEach(j -> byIndex.put(j.index(), j));
            List<SweepView.Trial> trials = new ArrayList<>();
            for (SearchSpace.Trial trial : expand(sweep)) {
                SweepReadModel.TrialJob job = byIndex.get(trial.index());
                trials.add(job == null
                        ? new SweepView.Trial(trial.index(), trial.parameters(), "pending", null, null, false, null,
                                false)
                        : new SweepView.Trial(trial.index(), trial.parameters(),
                                job.stoppedEarly() ? "stopped_early" : job.state(), job.jobId(), job.bestValidLoss(),
                                job.stoppedEarly(), job.reason(), job.jobId().equals(sweep.bestJobId())));
            }
            return sweep.withTrials(trials);
        });
    }

    @SuppressWarnings("unchecked")
    private static List<SearchSpace.Trial> expand(SweepView sweep) {
        if (sweep.searchSpace() == null) {
            return List.of(); // its request is not projected yet
        }
        try {
            return SearchSpace.expand(dev.tuneforge.events.EventCodec.mapper().convertValue(sweep.searchSpace(),
                    java.util.LinkedHashMap.class), sweep.strategy(), sweep.maxTrials(),
                    sweep.seed() == null ? 0 : sweep.seed());
        } catch (RecipeException e) {
            return List.of();
        }
    }

    @Transactional
    void publish(SweepRequested event) {
        outbox.publish(event);
    }
}
