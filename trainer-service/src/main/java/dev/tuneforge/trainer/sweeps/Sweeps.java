package dev.tuneforge.trainer.sweeps;

import dev.tuneforge.events.SweepFinished;
import dev.tuneforge.events.SweepRequested;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.recipe.RecipeException;
import dev.tuneforge.kit.recipe.SearchSpace;
import dev.tuneforge.trainer.domain.DerivedIds;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Hyperparameter sweeps. A {@code SweepRequested} is expanded into trials ({@link SearchSpace}), each of which becomes
 * an ordinary job: the sweep publishes its {@code TrainingRequested} (with {@code sweepId}; job id derived from the
 * sweep and the trial's index), so it is validated, queued and run like any job and every service sees it as one. At
 * most {@code parallelism} trials are requested and not ended at once; each trial's end requests the next. Every
 * validation loss of a trial is recorded and judged by the {@link MedianStoppingRule}: a trial it stops is cancelled
 * the way a user's cancel is (SIGTERM, checkpoint), its {@code TrainingCancelled} saying {@code stoppedEarly} and why.
 * When the last trial ends, {@code SweepFinished} names the best trial (lowest best validation loss among those that
 * succeeded; without any validation, the first that succeeded) and carries its {@code TrainingFinished}, the
 * candidate eval-service evaluates. Everything runs in the caller's transaction (the inbox's or a job transition's)
 * under the sweep's row lock, so two trials ending at once are serialised and the sweep finishes once.
 */
@ApplicationScoped
public class Sweeps {

    public static final int DEFAULT_PARALLELISM = 2;

    private final SweepStore store;
    private final Outbox outbox;

    public Sweeps(SweepStore store, Outbox outbox) {
        this.store = store;
        this.outbox = outbox;
    }

    /** Idempotent: a sweep seen before changes nothing. A space that cannot be expanded ends the sweep at once. */
    public void requested(SweepRequested request) {
        List<SearchSpace.Trial> trials;
        try {
            trials = SearchSpace.expand(request.searchSpace(), request.strategy(), request.maxTrials(),
                    request.seed() == null ? 0 : request.seed());
        } catch (RecipeException e) {
            if (store.insert(request, "failed")) {
                outbox.publish(new SweepFinished(request.projectId(), request.sweepId(), request.modelName(), "failed",
                        e.getMessage(), null, null, List.of(), request.gate()));
            }
            return;
        }
        if (!store.insert(request, "running")) {
            return;
        }
        for (SearchSpace.Trial trial : trials) {
            store.insertTrial(request.sweepId(), trial.index(), jobId(request.sweepId(), trial.index()),
                    trial.parameters());
        }
        requestNext(request, store.trials(request.sweepId()));
    }

    /** The sweep a job is a trial of, if any. */
    public Optional<String> sweepOf(String jobId) {
        return store.trialOfJob(jobId).map(SweepStore.Trial::sweepId);
    }

    /**
     * A trial's validation loss: recorded, then judged. Returns why the trial must stop, once (later validations of a
     * trial already stopping return empty); empty for a job that is no trial.
     */
    public Optional<String> validated(String jobId, long step, double validLoss) {
        Optional<SweepStore.Trial> trial = store.trialOfJob(jobId);
        if (trial.isEmpty() || trial.get().stopReason() != null || !store.validation(jobId, step, validLoss)) {
            return Optional.empty();
        }
        SweepRequested.MedianStop settings = store.request(trial.get().sweepId()).map(SweepRequested::medianStop)
                .orElse(null);
        if (settings == null) {
            return Optional.empty();
        }
        MedianStoppingRule rule = new MedianStoppingRule(
                settings.warmupEvaluations() == null ? MedianStoppingRule.DEFAULT_WARMUP_EVALUATIONS
                        : settings.warmupEvaluations(),
                settings.minTrials() == null ? MedianStoppingRule.DEFAULT_MIN_TRIALS : settings.minTrials());
        Map<String, List<MedianStoppingRule.Validation>> all = store.validations(trial.get().sweepId());
        List<MedianStoppingRule.Validation> own = all.remove(jobId);
        Optional<String> stop = rule.judge(own == null ? List.of() : own, all.values());
        stop.ifPresent(reason -> store.stopping(jobId, reason));
        return stop;
    }

    /** Why the sweep stopped this job, if it did. */
    public Optional<String> stopReason(String jobId) {
        return store.trialOfJob(jobId).map(SweepStore.Trial::stopReason);
    }

    /**
     * A job ended; if it is a trial, the sweep records how, requests the next trials and, after the last, finishes.
     *
     * @param state    {@code succeeded}, {@code failed}, {@code cancelled} or {@code stopped_early}
     * @param finished the trial's {@code TrainingFinished} when it succeeded
     */
    public void trialEnded(String jobId, String state, String reason, TrainingFinished finished) {
        Optional<String> sweepId = sweepOf(jobId);
        if (sweepId.isEmpty()) {
            return;
        }
        Optional<SweepRequested> request = store.lockRunning(sweepId.get());
        if (request.isEmpty() || !store.ended(jobId, state, reason, finished)) {
            return;
        }
        List<SweepStore.Trial> trials = store.trials(sweepId.get());
        if (trials.stream().allMatch(SweepStore.Trial::ended)) {
            finish(request.get(), trials);
        } else {
            requestNext(request.get(), trials);
        }
    }

    private void requestNext(SweepRequested request, List<SweepStore.Trial> trials) {
        int parallelism = request.parallelism() == null ? DEFAULT_PARALLELISM : Math.max(1, request.parallelism());
        long open = trials.stream().filter(t -> t.state().equals("requested")).count();
        List<SweepStore.Trial> next = trials.stream().filter(t -> t.state().equals("pending"))
                .limit(Math.max(0, parallelism - open)).toList();
        for (SweepStore.Trial trial : next) {
            SearchSpace.Trial values = new SearchSpace.Trial(trial.index(), trial.parameters());
            store.requested(trial.jobId());
            outbox.publish(new TrainingRequested(request.projectId(), trial.jobId(), request.baseModel(),
                    request.datasetId(), request.datasetVersion(), values.method(request.method()),
                    values.hyperparameters(request.hyperparameters()), request.modelName(), request.requestedBy(),
                    null, null, request.runtime(), request.sweepId(), trial.index()));
        }
    }

    private void finish(SweepRequested request, List<SweepStore.Trial> trials) {
        Optional<SweepStore.Trial> best = trials.stream().filter(t -> t.state().equals("succeeded"))
                .min(Comparator.comparing((SweepStore.Trial t) -> t.bestValidLoss() == null ? Double.MAX_VALUE
                        : t.bestValidLoss()).thenComparingInt(SweepStore.Trial::index));
        String status = best.isPresent() ? "succeeded" : "failed";
        store.finished(request.sweepId(), status, best.map(SweepStore.Trial::jobId).orElse(null));
        outbox.publish(new SweepFinished(request.projectId(), request.sweepId(), request.modelName(), status,
                best.isPresent() ? null : "no trial succeeded", best.map(SweepStore.Trial::jobId).orElse(null),
                best.map(SweepStore.Trial::finished).orElse(null),
                trials.stream().map(SweepStore.Trial::summary).toList(), request.gate()));
    }

    /** One job per sweep and trial, whoever publishes it and however often. */
    static String jobId(String sweepId, int index) {
        return DerivedIds.job(sweepId + "/trial/" + index);
    }
}
