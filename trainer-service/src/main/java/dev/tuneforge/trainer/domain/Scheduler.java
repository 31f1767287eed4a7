package dev.tuneforge.trainer.domain;

import dev.tuneforge.launcher.WorkerProcess;
import dev.tuneforge.launcher.WorkerSlots;
import dev.tuneforge.trainer.launch.AttemptRunner;
import dev.tuneforge.trainer.launch.Launchers;
import dev.tuneforge.trainer.storage.DatasetVersions;
import dev.tuneforge.trainer.storage.Jobs;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * This instance's slots and the loop that fills them. Every tick it validates new jobs, renews the leases
 * of the jobs it runs (dropping any it lost), passes cancel and pause requests to their workers, and claims
 * queued jobs of each free slot's runtime — including jobs of an instance that died, whose leases ran out: with the
 * Kubernetes launcher, an attempt whose Job still runs is re-adopted as it is; otherwise the next attempt
 * resumes from the last checkpoint (a local worker left behind is killed first). A queued job of a runtime none of
 * its slots has stays queued for an instance that has one; this instance says so in its log, once per job.
 */
@ApplicationScoped
public class Scheduler {

    private static final Logger LOG = Logger.getLogger(Scheduler.class);

    private final Jobs jobs;
    private final JobTransitions transitions;
    private final Launchers launchers;
    private final DatasetVersions datasets;
    private final TrainerConfig config;
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
    private volatile boolean stopping;
    private Instant lastRenewal = Instant.EPOCH;

    public Scheduler(Jobs jobs, JobTransitions transitions, Launchers launchers, DatasetVersions datasets,
                     TrainerConfig config) {
        this.jobs = jobs;
        this.transitions = transitions;
        this.launchers = launchers;
        this.datasets = datasets;
        this.config = config;
        this.host = hostName();
        this.owner = config.instanceId().orElse(host + "-" + UUID.randomUUID().toString().substring(0, 8));
        slots.putAll(WorkerSlots.parse(config.slots(), "tuneforge.trainer.slots"));
    }

    public String owner() {
        return owner;
    }

    @Scheduled(every = "${tuneforge.trainer.tick:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "2s")
    void tick() {
        if (stopping) {
            return;
        }
        for (Jobs.Job job : jobs.inState(JobState.VALIDATING)) {
            transitions.validate(job.jobId());
        }
        watchRunning();
        warnAboutJobsWithoutASlot();
        for (Map.Entry<String, String> slot : slots.entrySet()) {
            if (stopping || running.containsKey(slot.getKey())) {
                continue;
            }
            var claim = transitions.claimNext(owner, slot.getKey(), slot.getValue(), host, launchers::adoptable);
            if (claim.isEmpty()) {
                continue; // nothing for this runtime; a slot of another may still find a job
            }
            if (!claim.get().readopted()) {
                stopOrphan(claim.get());
            }
            AttemptRunner runner = new AttemptRunner(new AttemptRunner.Context(transitions, datasets,
                    launchers.forRuntime(slot.getValue()), owner, slot.getKey(), config.maxProgressPoints()),
                    claim.get());
            running.put(slot.getKey(), runner);
            workers.submit(() -> {
                try {
                    runner.run();
                } catch (RuntimeException e) {
                    LOG.errorf(e, "job %s: attempt runner failed", runner.jobId());
                } finally {
                    running.remove(slot.getKey(), runner);
                }
            });
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

    /** Lease renewal and stop requests for the jobs this instance runs. */
    private void watchRunning() {
        if (running.isEmpty()) {
            return;
        }
        List<String> ids = new ArrayList<>(running.values().stream().map(AttemptRunner::jobId).toList());
        if (Duration.between(lastRenewal, Instant.now()).compareTo(config.lease().dividedBy(3)) >= 0) {
            List<String> held = jobs.renew(owner, config.lease(), ids);
            lastRenewal = Instant.now();
            for (AttemptRunner r : running.values()) {
                if (!held.contains(r.jobId()) && jobs.state(r.jobId()).orElse(null) == JobState.RUNNING) {
                    LOG.warnf("job %s: lease lost to another instance; letting go of its worker", r.jobId());
                    r.leaseLost();
                }
            }
        }
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
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
