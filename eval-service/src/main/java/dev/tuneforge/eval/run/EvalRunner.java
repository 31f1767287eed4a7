package dev.tuneforge.eval.run;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.eval.gate.Gate;
import dev.tuneforge.eval.metrics.JsonChecks;
import dev.tuneforge.eval.metrics.Paired;
import dev.tuneforge.eval.run.WorkerEvaluation.Subject;
import dev.tuneforge.eval.storage.EvalCatalog;
import dev.tuneforge.eval.storage.EvalRuns;
import dev.tuneforge.eval.storage.EvalRuns.Run;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.recipe.Recipe;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.kit.storage.ObjectStoreException;
import dev.tuneforge.launcher.WorkerSlots;
import dev.tuneforge.worker.protocol.DataFormat;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.transaction.Transactional;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Runs pending evaluations on this instance's slots ({@code tuneforge.eval.slots}, one at a time per slot, as
 * trainer-service runs jobs): the candidate, the base model, the model's current champion and the few-shot baseline
 * (the base model prompted with training examples, {@link FewShotHeldOut}) on the dataset version's held-out split
 * through the slot's launcher, metrics computed here, the gate applied, the full report
 * written to S3, and {@code EvalPassed} or {@code EvalFailed} emitted in the same transaction that records the
 * outcome. An evaluation runs on a slot of its candidate's runtime, all three subjects on it, so they are compared
 * under the same numerics; one of a runtime no slot here has waits (and the log says so, once). One whose instance died
 * is taken over when its lease runs out.
 *
 * <p>The leases of the running evaluations are renewed on a thread of their own, every third of a lease, so that
 * nothing the tick does can let them run out and have another instance take a running evaluation over. Each step of
 * the tick (filling each slot, looking for evaluations no slot runs) fails on its own, logged once while it keeps
 * failing the same way and tried again at the next tick; each evaluation runs on a thread of its own, so one that
 * fails stops neither the others nor the renewals. An evaluation that meets an S3 outage ({@link S3Outage}) is put
 * back, not counted as a try, and taken up again once S3 answers: a transient fault never fails it. The tick's last
 * step deletes the reports of ended evaluations that no outcome names ({@link LeftoverObjects}).
 */
@ApplicationScoped
public class EvalRunner {

    private static final Logger LOG = Logger.getLogger(EvalRunner.class);

    private final EvalRuns runs;
    private final EvalCatalog catalog;
    private final WorkerEvaluation evaluation;
    private final ObjectStore store;
    private final Outbox outbox;
    private final EvalConfig config;
    private final EvalLaunchers launchers;
    private final LeftoverObjects leftovers;
    private final FewShotHeldOut fewShotHeldOut;
    private final String owner;
    /** Slot name to runtime. */
    private final Map<String, String> slots;
    /** Slot name to the run it is evaluating. */
    private final Map<String, Run> busy = new ConcurrentHashMap<>();
    /** Pending evaluations no slot here can run, already logged. */
    private final Set<String> unplaceable = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers = Executors.newCachedThreadPool(Thread.ofPlatform().name("eval-slot-", 0)
            .daemon().factory());
    private final ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
            .name("eval-lease-renewal").daemon().factory());
    private final FailingSteps failing = new FailingSteps(LOG);
    private volatile boolean stopping;

    public EvalRunner(EvalRuns runs, EvalCatalog catalog, WorkerEvaluation evaluation, ObjectStore store,
                      Outbox outbox, EvalConfig config, EvalLaunchers launchers, LeftoverObjects leftovers,
                      FewShotHeldOut fewShotHeldOut) {
        this.runs = runs;
        this.catalog = catalog;
        this.evaluation = evaluation;
        this.store = store;
        this.outbox = outbox;
        this.config = config;
        this.launchers = launchers;
        this.leftovers = leftovers;
        this.fewShotHeldOut = fewShotHeldOut;
        this.owner = config.instanceId().orElse(host() + "-" + UUID.randomUUID().toString().substring(0, 8));
        this.slots = WorkerSlots.parse(config.slots(), "tuneforge.eval.slots");
    }

    void onStart(@Observes StartupEvent event) {
        long period = Math.max(1, config.lease().dividedBy(3).toMillis());
        renewals.scheduleWithFixedDelay(this::renewLeases, period, period, TimeUnit.MILLISECONDS);
    }

    /** Fills each free slot with the oldest pending evaluation of its runtime, each slot on its own. */
    @Scheduled(every = "${tuneforge.eval.tick:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "2s")
    void tick() {
        if (stopping) {
            return;
        }
        failing.isolated("looking for pending evaluations no slot runs", this::warnAboutRunsWithoutASlot);
        for (Map.Entry<String, String> slot : slots.entrySet()) {
            if (stopping || busy.containsKey(slot.getKey())) {
                continue;
            }
            failing.isolated("filling slot " + slot.getKey(), () -> fill(slot.getKey(), slot.getValue()));
        }
        failing.isolated("deleting the reports no outcome of an ended evaluation names",
                leftovers::sweepEndedEvaluations);
    }

    /** Claims the oldest pending evaluation of {@code runtime} for the slot, if there is one, and starts it. */
    private void fill(String slot, String runtime) {
        EvaluationLauncher launcher = launchers.forRuntime(runtime); // a runtime that cannot run workers claims nothing
        Optional<Run> claimed = runs.claimNext(owner, config.lease(), runtime);
        if (claimed.isEmpty()) {
            return; // nothing for this runtime; a slot of another may still find one
        }
        Run run = claimed.get();
        if (!failing.isFailing(s3Step(run))) { // said once, not at every try while S3 fails
            LOG.infof("evaluating %s (job %s, attempt %d) on slot %s (%s)", run.evalId(), run.jobId(), run.attempts(),
                    slot, launcher.runtime());
        }
        busy.put(slot, run);
        try {
            workers.execute(() -> {
                try {
                    run(run, slot, launcher);
                } catch (RuntimeException e) {
                    LOG.errorf(e, "evaluation %s of job %s: its end could not be recorded; it is taken up again when "
                            + "its lease runs out", run.evalId(), run.jobId());
                } finally {
                    busy.remove(slot, run);
                }
            });
        } catch (RejectedExecutionException e) { // stopping
            busy.remove(slot, run);
            runs.postpone(run, "eval-service stopped before it started");
        }
    }

    /**
     * On the renewal thread: renews the leases of the evaluations this instance runs. A failure (the database is away)
     * is logged and tried again a third of a lease later.
     */
    void renewLeases() {
        if (stopping || busy.isEmpty()) {
            return;
        }
        failing.isolated("renewing leases", () -> runs.renew(owner, List.copyOf(busy.values()), config.lease()));
    }

    /** A pending evaluation of a runtime no slot here has waits for an instance that has one; said once per run. */
    private void warnAboutRunsWithoutASlot() {
        List<EvalRuns.Unplaceable> waiting = runs.pendingNotOn(Set.copyOf(slots.values()));
        for (EvalRuns.Unplaceable run : waiting) {
            if (unplaceable.add(run.evalId())) {
                LOG.warnf("evaluation %s of job %s needs the %s runtime (its candidate's), which none of this "
                        + "instance's slots (%s) runs: it waits for an instance with a %s slot (tuneforge.eval.slots)",
                        run.evalId(), run.jobId(), run.runtime(), String.join(",", slots.entrySet().stream()
                                .map(e -> e.getKey() + ":" + e.getValue()).toList()), run.runtime());
            }
        }
        unplaceable.retainAll(waiting.stream().map(EvalRuns.Unplaceable::evalId).toList());
    }

    /** The slots evaluating now, slot name to eval id. */
    public Map<String, String> running() {
        Map<String, String> out = new LinkedHashMap<>();
        busy.forEach((slot, run) -> out.put(slot, run.evalId()));
        return out;
    }

    @PreDestroy
    void stop() {
        stopping = true;
        renewals.shutdownNow();
        workers.shutdownNow();
    }

    /**
     * Evaluates one claimed run to its outcome on {@code slot}'s {@code launcher}, or gives it back: after a failed try
     * (counted; the last one fails it) or for an S3 outage (not counted, tried again as long as S3 fails). Runs as the
     * run's owner: this instance for the runs it claims.
     */
    public void run(Run run, String slot, EvaluationLauncher launcher) {
        WorkerEvaluation.Placement at = new WorkerEvaluation.Placement(launcher, run.evalId(), run.attempts());
        boolean waitsForS3 = false;
        try {
            var heldOut = catalog.heldOut(run.projectId(), run.datasetId(), run.datasetVersion());
            if (heldOut.isEmpty() && run.age().compareTo(config.datasetWait()) < 0) {
                // DatasetReady and TrainingFinished come on different topics: the first may still be on its way
                runs.postpone(run, "waiting for dataset " + run.datasetId() + " version " + run.datasetVersion()
                        + " (its DatasetReady)");
                return;
            }
            if (heldOut.isEmpty() || heldOut.get().validationKey() == null) {
                complete(run, false, "no held-out data: dataset " + run.datasetId() + " version " + run.datasetVersion()
                        + (heldOut.isEmpty() ? " is unknown to eval-service" : " has no validation split"),
                        Map.of(), null, Gate.defaults());
                return;
            }
            boolean pairs = heldOut.get().preferencePairs();
            Optional<Double> beta = pairs ? catalog.beta(run.projectId(), run.jobId()) : Optional.empty();
            if (pairs && beta.isEmpty() && run.age().compareTo(config.datasetWait()) < 0) {
                // TrainingRequested (commands topic) names the beta; it is long sent, but may still be on its way
                runs.postpone(run, "waiting for job " + run.jobId() + "'s TrainingRequested (its DPO beta)");
                return;
            }
            Gate gate = gate(run, pairs);
            String forgettingSource = "the pipeline's gate";
            if (gate.forgetting() == null) {
                Optional<Gate.Forgetting> mixedIn = catalog.mixedInSet(run.projectId(), run.jobId());
                if (mixedIn.isPresent()) {
                    gate = gate.withForgettingSet(mixedIn.get());
                    forgettingSource = "the job's mix";
                }
            }
            String key = heldOut.get().validationKey();
            DataFormat format = pairs ? DataFormat.PREFERENCE : DataFormat.CHAT;
            List<ExampleResult> candidateResults = evaluation.results(run.projectId(),
                    new Subject(run.baseModel(), run.artifactKey(), run.method()), run.datasetId(), run.datasetVersion(),
                    key, format, at);
            List<ExampleResult> baseResults = evaluation.results(run.projectId(), Subject.base(run.baseModel()),
                    run.datasetId(), run.datasetVersion(), key, format, at);
            MetricSet candidate = MetricSet.compute(candidateResults, gate.jsonSchema(), gate.labels());
            MetricSet base = MetricSet.compute(baseResults, gate.jsonSchema(), gate.labels());
            var champion = catalog.champion(run.projectId(), run.modelName());
            MetricSet championMetrics = null;
            if (champion.isPresent() && !champion.get().artifactKey().equals(run.artifactKey())) {
                // the champion as it was trained: its own base model and method
                EvalCatalog.Champion c = champion.get();
                Subject subject = new Subject(c.baseModel() == null ? run.baseModel() : c.baseModel(),
                        c.artifactKey(), c.method() == null ? run.method() : c.method());
                championMetrics = MetricSet.compute(evaluation.results(run.projectId(), subject, run.datasetId(),
                        run.datasetVersion(), key, format, at), gate.jsonSchema(), gate.labels());
            }
            FewShot fewShot = fewShot(run, gate, heldOut.get(), format, at);
            if (pairs) {
                // a model that has never seen the pairs has none: the reward is relative to the base model
                double b = beta.orElse(Recipe.DEFAULT_BETA);
                rewardMargin(candidate, base, b);
                if (championMetrics != null) {
                    rewardMargin(championMetrics, base, b);
                }
            }
            Map<String, Double> candidateValues = new LinkedHashMap<>(candidate.values());
            Map<String, Double> baseValues = new LinkedHashMap<>(base.values());
            if (gate.forgetting() != null) {
                forgetting(run, gate, candidateValues, baseValues, at);
            }
            Gate.Decision decision = gate.decide(candidateValues, baseValues,
                    championMetrics == null ? null : championMetrics.values(),
                    fewShot.metrics() == null ? null : fewShot.metrics().values());
            ObjectNode report = report(run, gate, decision, candidate, base, championMetrics,
                    champion.map(EvalCatalog.Champion::version).orElse(null));
            fewShot.addTo(report, candidate);
            report.put("runtime", launcher.runtime()).put("slot", slot);
            if (pairs) {
                report.put("beta", beta.orElse(Recipe.DEFAULT_BETA)).put("beta_source", beta.isPresent()
                        ? "the job's request" : "the default: the job's request was not seen");
            }
            if (gate.forgetting() != null) {
                ObjectNode general = report.putObject("forgetting");
                general.put("dataset_id", gate.forgetting().datasetId())
                        .put("dataset_version", gate.forgetting().datasetVersion()).put("source", forgettingSource);
                // a set without a validation split is evaluated on its training split: for a job's mix, data it saw
                catalog.generalSet(run.projectId(), gate.forgetting().datasetId(), gate.forgetting().datasetVersion())
                        .ifPresent(set -> general.put("split",
                                Objects.equals(set.validationKey(), set.trainKey()) ? "train" : "validation"));
                candidateValues.forEach((k, v) -> {
                    if (k.startsWith("general.") && Double.isFinite(v)) {
                        general.with("candidate").put(k.substring(8), v);
                    }
                });
                baseValues.forEach((k, v) -> {
                    if (k.startsWith("general.") && Double.isFinite(v)) {
                        general.with("base").put(k.substring(8), v);
                        Double c = candidateValues.get(k);
                        if (c != null && Double.isFinite(c)) {
                            general.with("change").put(k.substring(8), c - v);
                        }
                    }
                });
            }
            samples(report, candidateResults, baseResults);
            // Under this claim's own key, so an instance that lost the run cannot overwrite the report of the one that
            // took it over; only the claim that records the outcome publishes its key.
            String reportKey = "projects/" + run.projectId() + "/eval/" + run.evalId() + "/attempt-" + run.attempts()
                    + "/report.json";
            store.put(reportKey, EventCodec.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(report),
                    "application/json");
            if (!complete(run, decision.passed(), decision.reason(), candidateValues, reportKey, gate)) {
                store.delete(reportKey); // nobody will ever name it
            }
        } catch (JsonChecks.SchemaRefused e) {
            // the gate's own check lets no such schema through; this is the compiler's loader refusing
            complete(run, false, "evaluation could not run: the pipeline's gate is refused: json_schema: "
                    + e.getMessage(), Map.of(), null, Gate.defaults());
        } catch (WorkerEvaluation.EvaluationException e) {
            LOG.warnf("evaluation %s of job %s failed: %s", run.evalId(), run.jobId(), e.getMessage());
            if (e.permanent() || run.attempts() >= config.maxAttempts()) {
                complete(run, false, "evaluation could not run: " + e.getMessage(), Map.of(), null, Gate.defaults());
            } else {
                runs.release(run, e.getMessage());
            }
        } catch (Exception e) {
            Optional<ObjectStoreException> outage = S3Outage.in(e);
            if (outage.isPresent()) {
                waitsForS3 = true;
                failing.failed(s3Step(run), outage.get());
                runs.postpone(run, "waiting for S3: " + outage.get().getMessage());
                return;
            }
            LOG.errorf(e, "evaluation %s of job %s failed", run.evalId(), run.jobId());
            if (run.attempts() >= config.maxAttempts()) {
                complete(run, false, "evaluation could not run: " + e, Map.of(), null, Gate.defaults());
            } else {
                runs.release(run, String.valueOf(e));
            }
        } finally {
            if (!waitsForS3) {
                failing.worked(s3Step(run));
            }
        }
    }

    /** The step of an evaluation that waits for S3, as {@link FailingSteps} logs it. */
    private static String s3Step(Run run) {
        return "S3 for evaluation " + run.evalId() + " (job " + run.jobId() + ")";
    }

    /**
     * The run's pipeline gate, or the defaults without one. A gate that cannot be applied (a bad rule, a schema that
     * is not self-contained) fails the evaluation for good, before any model is evaluated.
     */
    private Gate gate(Run run, boolean preferencePairs) {
        try {
            return Gate.fromJson(catalog.gate(run.pipelineId()).orElse(null), preferencePairs);
        } catch (IllegalArgumentException e) {
            throw new WorkerEvaluation.EvaluationException("the pipeline's gate is refused: " + e.getMessage(), true);
        }
    }

    /**
     * The forgetting check: candidate and base on the general-purpose set, as {@code general.*} metrics. The set must
     * be a ready dataset version of the run's project; whether another project has one by that id is not said.
     */
    private void forgetting(Run run, Gate gate, Map<String, Double> candidate, Map<String, Double> base,
                            WorkerEvaluation.Placement at) {
        Gate.Forgetting f = gate.forgetting();
        EvalCatalog.HeldOut set = catalog.generalSet(run.projectId(), f.datasetId(), f.datasetVersion())
                .orElseThrow(() -> new WorkerEvaluation.EvaluationException("the forgetting set " + f.datasetId()
                        + " version " + f.datasetVersion() + " is not a ready dataset version of this project ("
                        + run.projectId() + ")", true));
        String key = set.validationKey();
        DataFormat format = set.preferencePairs() ? DataFormat.PREFERENCE : DataFormat.CHAT;
        MetricSet c = MetricSet.compute(evaluation.results(run.projectId(),
                new Subject(run.baseModel(), run.artifactKey(), run.method()), f.datasetId(), f.datasetVersion(), key,
                format, at), null, false);
        MetricSet b = MetricSet.compute(evaluation.results(run.projectId(), Subject.base(run.baseModel()),
                f.datasetId(), f.datasetVersion(), key, format, at), null, false);
        c.values().forEach((k, v) -> candidate.put("general." + k, v));
        b.values().forEach((k, v) -> base.put("general." + k, v));
    }

    /**
     * The few-shot baseline: the base model on the held-out set with {@code gate.fewShots()} training examples before
     * each example ({@link FewShotHeldOut}); none when the gate's k is 0, when the training split is not there to
     * take examples from, or when the shots leave no example's answer within the model's context (the worker cuts an
     * example from its end, so its answer is gone); the report says why. A baseline never fails the candidate's
     * evaluation for being too long: the examples whose answers were cut are counted in the report instead.
     */
    private FewShot fewShot(Run run, Gate gate, EvalCatalog.HeldOut heldOut, DataFormat format,
                            WorkerEvaluation.Placement at) {
        if (gate.fewShots() == 0) {
            return new FewShot(0, null, null, 0);
        }
        return switch (fewShotHeldOut.build(run.projectId(), run.datasetId(), run.datasetVersion(),
                heldOut.validationKey(), heldOut.trainKey(), gate.fewShots())) {
            case FewShotHeldOut.Unavailable u -> new FewShot(gate.fewShots(), null, u.reason(), 0);
            case FewShotHeldOut.Built b -> {
                List<ExampleResult> results = evaluation.results(run.projectId(),
                        Subject.fewShot(run.baseModel(), b.shots()), run.datasetId(), run.datasetVersion(), b.key(),
                        format, at);
                int cut = (int) results.stream().filter(r -> r.tokens() == 0).count();
                yield cut == results.size()
                        ? new FewShot(b.shots(), null, "with " + b.shots() + " training examples before it, no held-out"
                                + " example's answer fits in the model's context", cut)
                        : new FewShot(b.shots(), MetricSet.compute(results, gate.jsonSchema(), gate.labels()), null, cut);
            }
        };
    }

    /**
     * The few-shot baseline's outcome.
     *
     * @param shots   the examples before each held-out one (the gate's k, or fewer where the training split has fewer)
     * @param metrics null when it was not evaluated
     * @param skipped why not, when the gate wanted it; null otherwise
     * @param cut     the held-out examples whose answers the shots pushed out of the model's context
     */
    private record FewShot(int shots, MetricSet metrics, String skipped, int cut) {

        /** The report's {@code subjects.few_shot} (with {@code k}) and {@code candidate_vs_few_shot}, or why not. */
        void addTo(ObjectNode report, MetricSet candidate) {
            if (metrics != null) {
                ObjectNode subject = EvalRunner.metrics(metrics);
                subject.put("k", shots).put("answers_cut", cut);
                ((ObjectNode) report.get("subjects")).set("few_shot", subject);
                comparisons(report.putObject("candidate_vs_few_shot"), candidate, metrics);
            } else if (skipped != null) {
                report.putObject("few_shot_skipped").put("k", shots).put("reason", skipped);
            }
        }
    }

    /**
     * DPO's implicit reward margin of {@code subject} over the base model on the held-out pairs:
     * {@code beta * (logp_margin(subject) - logp_margin(base))} (docs/WORKER_PROTOCOL.md, evaluate on preference
     * pairs), added to its metrics; nothing when either was not scored on pairs.
     */
    static void rewardMargin(MetricSet subject, MetricSet base, double beta) {
        Double margin = subject.values().get(MetricSet.LOGP_MARGIN);
        Double baseMargin = base.values().get(MetricSet.LOGP_MARGIN);
        if (margin != null && baseMargin != null) {
            subject.values().put(Gate.REWARD_MARGIN, beta * (margin - baseMargin));
        }
    }

    /**
     * Records the outcome and publishes it, in one transaction, if {@code run}'s claim still holds the run.
     *
     * @return false when it does not (another instance took the run over and reports it)
     */
    @Transactional
    boolean complete(Run run, boolean passed, String reason, Map<String, Double> metrics, String reportKey, Gate gate) {
        Map<String, Double> finite = new LinkedHashMap<>();
        metrics.forEach((k, v) -> {
            if (v != null && Double.isFinite(v)) {
                finite.put(k, v);
            }
        });
        String metricsJson;
        try {
            metricsJson = EventCodec.mapper().writeValueAsString(finite);
        } catch (Exception e) {
            metricsJson = "{}";
        }
        if (!runs.finish(run, passed ? "passed" : "failed", reason, metricsJson, reportKey)) {
            return false;
        }
        outbox.publish(passed
                ? new EvalPassed(run.projectId(), run.evalId(), run.jobId(), run.modelName(), finite, gate.describe(),
                        reportKey)
                : new EvalFailed(run.projectId(), run.evalId(), run.jobId(), run.modelName(), finite, gate.describe(),
                        reason, reportKey));
        return true;
    }

    /** Metrics side by side with intervals, the gate's rules, wins and losses against the base, overfitting signal. */
    private ObjectNode report(Run run, Gate gate, Gate.Decision decision, MetricSet candidate, MetricSet base,
                              MetricSet champion, Integer championVersion) throws Exception {
        ObjectNode r = EventCodec.mapper().createObjectNode();
        r.put("eval_id", run.evalId()).put("job_id", run.jobId()).put("model_name", run.modelName())
                .put("base_model", run.baseModel()).put("dataset_id", run.datasetId())
                .put("dataset_version", run.datasetVersion()).put("passed", decision.passed())
                .put("reason", decision.reason());
        ObjectNode subjects = r.putObject("subjects");
        subjects.set("candidate", metrics(candidate));
        subjects.set("base", metrics(base));
        if (champion != null) {
            ObjectNode c = metrics(champion);
            c.put("version", championVersion);
            subjects.set("champion", c);
        }
        r.set("gate", EventCodec.mapper().valueToTree(decision.results()));
        r.put("gate_rules", gate.describe());
        comparisons(r.putObject("candidate_vs_base"), candidate, base);
        var train = EventCodec.mapper().readTree(run.trainMetrics() == null ? "{}" : run.trainMetrics());
        if (train.has("train_loss") && candidate.values().containsKey("loss")) {
            double gap = candidate.values().get("loss") - train.get("train_loss").asDouble();
            r.putObject("overfitting").put("train_loss", train.get("train_loss").asDouble())
                    .put("heldout_loss", candidate.values().get("loss")).put("gap", gap);
        }
        return r;
    }

    /** Wins, losses and ties of the candidate against a baseline, example by example, per metric both have. */
    private static void comparisons(ObjectNode into, MetricSet candidate, MetricSet baseline) {
        for (String metric : List.of("exact_match", "rouge_l", "token_f1", "json_valid", Gate.PREFERENCE_ACCURACY)) {
            double[] c = candidate.perExample().get(metric);
            double[] b = baseline.perExample().get(metric);
            if (c != null && b != null && c.length == b.length) {
                Paired.Comparison cmp = Paired.compare(c, b);
                into.putObject(metric).put("wins", cmp.wins()).put("losses", cmp.losses())
                        .put("ties", cmp.ties()).put("mean_delta", cmp.meanDelta());
            }
        }
    }

    /** Up to five held-out examples the candidate gets right and the base model not (wins), and the reverse. */
    static void samples(ObjectNode report, List<ExampleResult> candidate, List<ExampleResult> base) {
        ArrayNode wins = report.putObject("samples").putArray("wins");
        ArrayNode losses = report.with("samples").putArray("losses");
        for (int i = 0; i < Math.min(candidate.size(), base.size()); i++) {
            ExampleResult c = candidate.get(i);
            ExampleResult b = base.get(i);
            boolean cRight = dev.tuneforge.eval.metrics.Metrics.exactMatch(c.generated(), c.reference());
            boolean bRight = dev.tuneforge.eval.metrics.Metrics.exactMatch(b.generated(), b.reference());
            ArrayNode into = cRight && !bRight ? wins : bRight && !cRight ? losses : null;
            if (into != null && into.size() < 5) {
                into.addObject().put("index", c.index()).put("reference", c.reference())
                        .put("candidate", c.generated()).put("base", b.generated());
            }
        }
    }

    private static ObjectNode metrics(MetricSet m) {
        ObjectNode node = EventCodec.mapper().createObjectNode();
        ObjectNode values = node.putObject("metrics");
        m.values().forEach((k, v) -> {
            if (Double.isFinite(v)) {
                values.put(k, v);
            }
        });
        ObjectNode ci = node.putObject("ci95");
        m.intervals().forEach((k, i) -> ci.putArray(k).add(i.lower()).add(i.upper()));
        return node;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
