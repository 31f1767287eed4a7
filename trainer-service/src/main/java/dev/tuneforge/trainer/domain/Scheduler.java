package dev.tuneforge.trainer.domain;

import dev.tuneforge.kit.concurrent.SerialPasses;
import dev.tuneforge.kit.db.AfterCommit;
import dev.tuneforge.launcher.WorkerProcess;
import dev.tuneforge.launcher.WorkerSlots;
import dev.tuneforge.trainer.launch.AttemptRunner;
import dev.tuneforge.trainer.launch.Launchers;
import dev.tuneforge.trainer.launch.MixedTrainSplits;
import dev.tuneforge.trainer.launch.WorkerLauncher;
import dev.tuneforge.trainer.storage.DatasetVersions;
import dev.tuneforge.trainer.storage.Jobs;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * This instance's slots and the loop that fills them. Every tick it validates new jobs, passes cancel and pause
 * requests to their workers, and claims queued jobs of each free slot's runtime — including jobs of an instance that
 * died, whose leases ran out: with the Kubernetes launcher, an attempt whose Job still runs is re-adopted as it is;
 * otherwise the next attempt resumes from the last checkpoint (a local worker left behind is killed first). A queued
 * job of a runtime none of its slots has stays queued for an instance that has one; this instance says so in its log,
 * once per job.
 *
 * <p>The leases of the jobs it runs are renewed on a thread of their own, every third of a lease, so that nothing the
 * tick does — a slow or failing S3 while a new job is validated, a Kubernetes API call — can let them run out and cost
 * a running job an attempt. Within the tick each step, and each job's validation, fails on its own: it is logged
 * (once, until it works again) and tried again at the next tick, and the other steps go on. The last step deletes what
 * the attempts of ended jobs uploaded and never published ({@link LeftoverObjects}).
 *
 * <p>The tick is the fallback; a job does not wait for it. Whoever commits something that makes a job claimable — a
 * request or a resume ({@link JobIntake}), a dataset version becoming ready — wakes the claim pass (validate new jobs,
 * fill free slots) once the transaction has committed ({@link #wakeAfterCommit}), and so does an attempt ending here,
 * which frees its slot and may have requeued its job. Woken passes run on a thread of their own, one at a time and
 * never during a tick ({@link SerialPasses}), so a slot is never filled twice; what only time changes (a lease of
 * another instance running out, a validation timeout) and work committed by another instance wait for the tick. With
 * the tick {@code off} nothing is woken either: tests drive the scheduler by hand.
 */
@ApplicationScoped
public class Scheduler {

    private static final Logger LOG = Logger.getLogger(Scheduler.class);
    /** The step of validating one job, as {@link #isolated} names it. */
    private static final String VALIDATING_JOB = "validating job ";
    /** The key under which a transaction wakes the claim pass, once. */
    private static final String WAKE_UP = Scheduler.class.getName() + ".wake-up";

    private final Jobs jobs;
    private final JobTransitions transitions;
    private final Launchers launchers;
    private final DatasetVersions datasets;
    private final TrainerConfig config;
    private final LeftoverObjects leftovers;
    private final MixedTrainSplits trainSplits;
    private final AfterCommit afterCommit;
    /** {@code tuneforge.trainer.tick} is {@code off}: no tick, and no wake-ups. */
    private final boolean loopOff;
    private final String owner;
    private final String host;
    private final Map<String, String> slots = new LinkedHashMap<>();
    private final Map<String, AttemptRunner> running = new ConcurrentHashMap<>();
    /** Queued jobs this instance has no slot for and has said so about. */
    private final Set<String> unplaceable = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "attempt");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lease-renewal");
        t.setDaemon(true);
        return t;
    });
    /** The claim pass, woken; the tick runs under its exclusion. */
    private final SerialPasses passes = new SerialPasses("scheduler-wake-up", this::claimPass);
    /** Steps that failed, and how, so a failure that repeats every tick is logged once. */
    private final Map<String, String> failing = new ConcurrentHashMap<>();
    private volatile boolean stopping;

    public Scheduler(Jobs jobs, JobTransitions transitions, Launchers launchers, DatasetVersions datasets,
                     TrainerConfig config, LeftoverObjects leftovers, AfterCommit afterCommit,
                     MixedTrainSplits trainSplits) {
        this.trainSplits = trainSplits;
        this.jobs = jobs;
        this.transitions = transitions;
        this.launchers = launchers;
        this.datasets = datasets;
        this.config = config;
        this.leftovers = leftovers;
        this.afterCommit = afterCommit;
        this.loopOff = Set.of("off", "disabled").contains(config.tick().trim().toLowerCase(Locale.ROOT));
        this.host = hostName();
        this.owner = config.instanceId().orElse(host + "-" + UUID.randomUUID().toString().substring(0, 8));
        slots.putAll(WorkerSlots.parse(config.slots(), "tuneforge.trainer.slots"));
    }

    public String owner() {
        return owner;
    }

    void onStart(@Observes StartupEvent event) {
        long period = config.lease().dividedBy(3).toMillis();
        renewals.scheduleWithFixedDelay(this::renewLeases, period, period, TimeUnit.MILLISECONDS);
    }

    @Scheduled(every = "${tuneforge.trainer.tick:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "2s")
    void tick() {
        passes.runExclusive(() -> {
            if (stopping) {
                return;
            }
            validateNewJobs();
            isolated("passing cancel and pause requests to workers", this::passStopRequests);
            isolated("looking for queued jobs without a slot", this::warnAboutJobsWithoutASlot);
            fillFreeSlots();
            isolated("deleting what ended jobs' attempts uploaded and never published", leftovers::sweepEndedJobs);
        });
    }

    /**
     * Wakes the claim pass once the current transaction commits (once per transaction, however often it is called),
     * so that what it committed is claimed without waiting for the tick. Does nothing while the tick is off.
     */
    public void wakeAfterCommit() {
        if (!loopOff) {
            afterCommit.once(WAKE_UP, passes::wake);
        }
    }

    /** What a job needs to start, woken: the steps of the tick that validate and claim. */
    private void claimPass() {
        if (stopping) {
            return;
        }
        validateNewJobs();
        fillFreeSlots();
    }

    private void fillFreeSlots() {
        for (Map.Entry<String, String> slot : slots.entrySet()) {
            if (stopping || running.containsKey(slot.getKey())) {
                continue;
            }
            isolated("filling slot " + slot.getKey(), () -> fill(slot.getKey(), slot.getValue()));
        }
    }

    /**
     * Each job on its own: one whose base model cannot be read now (S3 fails) stays {@code validating} and is tried
     * again at the next tick, and the jobs after it are validated all the same.
     */
    private void validateNewJobs() {
        List<Jobs.Job> validating = new ArrayList<>();
        isolated("listing jobs to validate", () -> validating.addAll(jobs.inState(JobState.VALIDATING)));
        for (Jobs.Job job : validating) {
            isolated(VALIDATING_JOB + job.jobId(), () -> transitions.validate(job.jobId()));
        }
        Set<String> ids = new HashSet<>(validating.stream().map(Jobs.Job::jobId).toList());
        failing.keySet().removeIf(step -> step.startsWith(VALIDATING_JOB)
                && !ids.contains(step.substring(VALIDATING_JOB.length())));
    }

    /** Claims the next job of {@code runtime} for the slot, if there is one, and starts its attempt. */
    private void fill(String slot, String runtime) {
        WorkerLauncher launcher = launchers.forRuntime(runtime); // a runtime that cannot start workers claims nothing
        var claim = transitions.claimNext(owner, slot, runtime, host, launchers::adoptable);
        if (claim.isEmpty()) {
            return; // nothing for this runtime; a slot of another may still find a job
        }
        if (!claim.get().readopted()) {
            stopOrphan(claim.get());
        }
        AttemptRunner runner = new AttemptRunner(new AttemptRunner.Context(transitions, datasets, trainSplits, launcher, leftovers,
                owner, slot, config.maxProgressPoints()), claim.get());
        running.put(slot, runner);
        workers.submit(() -> {
            try {
                runner.run();
            } catch (RuntimeException e) {
                LOG.errorf(e, "job %s: attempt runner failed", runner.jobId());
            } finally {
                running.remove(slot, runner);
                if (!loopOff) {
                    passes.wake(); // the slot is free, and the job may be queued again
                }
            }
        });
    }

    /**
     * Runs one step of the tick; if it throws, logs why (once while it keeps failing the same way) and returns, so
     * the steps after it still run. It is tried again at the next tick.
     */
    private void isolated(String step, Runnable body) {
        try {
            body.run();
            if (failing.remove(step) != null) {
                LOG.infof("%s works again", step);
            }
        } catch (RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            if (!why.equals(failing.put(step, why))) {
                LOG.warnf(e, "%s failed, will try again: %s", step, why);
            }
        }
    }

    /**
     * A queued job whose runtime no slot here has is not an error: another instance may have one, or one may be
     * added. It waits in the queue, and this instance logs why, once per job.
     */
    private void warnAboutJobsWithoutASlot() {
        Set<String> runtimes = Set.copyOf(slots.values());
        List<Jobs.Job> waiting = jobs.queuedNotOn(runtimes);
        for (Jobs.Job job : waiting) {
            if (unplaceable.add(job.jobId())) {
                LOG.warnf("job %s asks for the %s runtime, which none of this instance's slots (%s) runs: it stays "
                        + "queued until an instance with a %s slot takes it (tuneforge.trainer.slots)", job.jobId(),
                        job.runtime(), String.join(",", slots.entrySet().stream().map(e -> e.getKey() + ":"
                                + e.getValue()).toList()), job.runtime());
            }
        }
        unplaceable.retainAll(waiting.stream().map(Jobs.Job::jobId).toList());
    }

    /**
     * On the renewal thread: renews the leases of the jobs this instance runs, and lets go of the workers of any it
     * lost. A failure (the database is away) is logged and tried again a third of a lease later.
     */
    void renewLeases() {
        if (stopping || running.isEmpty()) {
            return;
        }
        isolated("renewing leases", () -> {
            List<String> ids = running.values().stream().map(AttemptRunner::jobId).toList();
            List<String> held = jobs.renew(owner, config.lease(), ids);
            for (AttemptRunner r : running.values()) {
                if (!held.contains(r.jobId()) && jobs.state(r.jobId()).orElse(null) == JobState.RUNNING) {
                    LOG.warnf("job %s: lease lost to another instance; letting go of its worker", r.jobId());
                    r.leaseLost();
                }
            }
        });
    }

    /** Cancel and pause requests for the jobs this instance runs go to their workers. */
    private void passStopRequests() {
        if (running.isEmpty()) {
            return;
        }
        List<String> ids = running.values().stream().map(AttemptRunner::jobId).toList();
        for (Jobs.Job job : jobs.withStopRequests(ids)) {
            running.values().stream().filter(r -> r.jobId().equals(job.jobId())).forEach(AttemptRunner::stop);
        }
    }

    /**
     * The job's previous attempt ran here under an instance that died: its worker may still be running, an
     * orphan. Kill it (identified by pid and its work directory) before starting the next attempt.
     */
    private void stopOrphan(JobTransitions.Claim claim) {
        if (launchers.isKubernetes() || claim.orphanPid() == null || !host.equals(claim.orphanHost())) {
            return;
        }
        WorkerProcess.orphan(claim.orphanPid(), Path.of(claim.orphanWorkdir())).ifPresent(p -> {
            LOG.warnf("job %s: killing orphaned worker pid %d of a previous instance", claim.job().jobId(), p.pid());
            p.destroyForcibly();
            p.onExit().orTimeout(10, TimeUnit.SECONDS).join();
        });
    }

    /**
     * Local workers checkpoint and stop, their jobs go back to the queue and resume on the next start; Jobs run
     * on and are handed over to the next instance that claims them.
     */
    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        running.values().forEach(AttemptRunner::stopForShutdown);
        workers.shutdown();
        try {
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("workers did not stop within 30 s; their jobs resume after the lease expires");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        renewals.shutdownNow();
        passes.close();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
