package dev.tuneforge.launcher;

import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.dsl.Loggable;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * An attempt running as a Kubernetes Job. Events come from the worker container's log (stdout carries only
 * events); the exit code from the pod's status once the pod is over, so the sidecar's last upload has happened
 * when {@link #pumpEvents} returns.
 *
 * <p>Pods are followed by a watch and by polling the API every {@code pollInterval}: the watch sees the final
 * state of a pod that is deleted right after its containers stop (a stopped or killed attempt), polling covers
 * what a broken watch misses.
 *
 * <p>With a stall timeout ({@link KubernetesLauncherConfig#stallTimeout()}), a worker whose log shows no line for
 * that long is stopped as {@link #terminate()} stops it, and {@link #watchdogReason()} says so: a hung worker (a
 * deadlocked collective, a stuck read) would otherwise hold its GPU until the Job's deadline, or for ever.
 */
public final class KubernetesWorker implements RunningWorker {

    /**
     * How the attempt ended.
     *
     * @param status    the worker's exit (a protocol code; {@link ExitCode#KILLED} when it was killed, OOMKilled,
     *                  evicted or never ran), or the staging container's exit status when staging failed
     * @param reason    Kubernetes' word for it: {@code Completed}, {@code Error}, {@code OOMKilled},
     *                  {@code Evicted}, {@code DeadlineExceeded}, ...
     * @param container {@code worker}, {@code stage} (staging failed, the worker never ran) or null (no container
     *                  said: the pod was evicted or deleted, or the Job is gone)
     */
    public record Exit(WorkerExit status, String reason, String container) {

        static Exit killed(String reason) {
            return new Exit(WorkerExit.of(ExitCode.KILLED), reason, null);
        }

        public String describe() {
            if (KubernetesManifests.STAGE.equals(container)) {
                return "staging the inputs failed with " + status.status() + " (" + reason + ")";
            }
            String text = status.describe();
            return reason == null || reason.equals("Completed") || reason.equals("Error") ? text
                    : text + ": " + reason;
        }
    }

    private static final System.Logger LOG = System.getLogger(KubernetesWorker.class.getName());
    private static final Duration API_OUTAGE = Duration.ofMinutes(10);
    private static final String POD_DELETED = "the pod was deleted before the worker ended";

    private final KubernetesClient client;
    private final KubernetesLauncherConfig config;
    private final String name;
    private final Map<String, String> labels;
    private final int nodes;
    private final Map<String, Pod> pods = new ConcurrentHashMap<>();
    private final Set<String> deletedPods = ConcurrentHashMap.newKeySet();
    private volatile Job lastJob;
    private volatile Watch watch;
    private volatile Exit exit;
    private volatile boolean detached;
    private volatile LogWatch currentLog;
    /** {@link System#nanoTime()} of the worker's last log line (or of when following it began). */
    private volatile long lastLine;
    /** True while a line's listener runs: an upload the listener makes is not the worker's silence. */
    private volatile boolean listening;
    private volatile String watchdogReason;

    /**
     * What {@link #pumpEvents} returns for a worker that was {@link #detach() detached}: it has no exit yet, and
     * the caller, which detached it, does not look (status -1, which no process exits with).
     */
    public static final WorkerExit DETACHED = new WorkerExit(-1);

    KubernetesWorker(KubernetesClient client, KubernetesLauncherConfig config, String name,
                     Map<String, String> labels, int nodes) {
        this.client = client;
        this.config = config;
        this.name = name;
        this.labels = Map.copyOf(labels);
        this.nodes = nodes;
    }

    @Override
    public String id() {
        return config.namespace() + "/" + name;
    }

    public String jobName() {
        return name;
    }

    public int nodes() {
        return nodes;
    }

    /** How the attempt ended, once it has. */
    public Optional<Exit> exit() {
        return Optional.ofNullable(exit);
    }

    /**
     * Streams the log of the worker on node 0 (the only one that reports, in a multi-node Job), handing each
     * event to {@code listener}; then waits for every pod to be over and returns the exit code. A log stream that
     * breaks is reopened from the last line's timestamp, so no event is delivered twice. A Job adopted after a
     * restart delivers its events from the start again: listeners must take a repeated event as a no-op.
     */
    @Override
    public WorkerExit pumpEvents(Consumer<WorkerEvent> listener) throws InterruptedException {
        track();
        String pod = awaitWorkerStarted();
        if (pod != null) {
            lastLine = System.nanoTime();
            Duration stall = config.stallTimeout();
            ScheduledFuture<?> stallCheck = stall == null ? null : WorkerProcess.TIMERS.scheduleWithFixedDelay(
                    this::checkStall, WorkerProcess.checkPeriod(stall), WorkerProcess.checkPeriod(stall),
                    TimeUnit.MILLISECONDS);
            try {
                stream(pod, listener);
            } finally {
                if (stallCheck != null) {
                    stallCheck.cancel(false);
                }
            }
        }
        Exit e = awaitExit(Long.MAX_VALUE);
        return e == null ? DETACHED : e.status();
    }

    /**
     * Stops following the Job and leaves it running: another trainer instance has taken the attempt over (or
     * will, after this one shuts down). {@link #pumpEvents} delivers no further event and returns
     * {@link #DETACHED}.
     */
    public void detach() {
        detached = true;
        LogWatch log = currentLog;
        if (log != null) {
            try {
                log.close();
            } catch (RuntimeException e) {
                // closing is all we wanted; the stream is being dropped anyway
            }
        }
        untrack();
    }

    /**
     * Deletes the Job with foreground propagation: its pods get SIGTERM and their full grace period
     * ({@code terminationGracePeriodSeconds}), the worker checkpoints and exits TERMINATED, the sidecar uploads the
     * checkpoint, then the pods, the Service and the Job go. (Deleting the Job with a grace period would not
     * reach the pods: the garbage collector deletes them with their own.)
     */
    @Override
    public void terminate() {
        client.batch().v1().jobs().inNamespace(config.namespace()).withName(name)
                .withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
    }

    /**
     * Deletes the Job and its pods with a one-second grace period: SIGTERM, SIGKILL a second later. Not 0: that
     * is a force deletion, which removes the pod from the API while its containers may still run on the node.
     */
    @Override
    public void kill() {
        client.batch().v1().jobs().inNamespace(config.namespace()).withName(name)
                .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
        client.pods().inNamespace(config.namespace()).withLabels(labels).withGracePeriod(1).delete();
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        track();
        return awaitExit(unit.toNanos(timeout)) != null;
    }

    /** Waits up to {@code timeoutNanos} (Long.MAX_VALUE: for ever) for the attempt to end. */
    private Exit awaitExit(long timeoutNanos) throws InterruptedException {
        long start = System.nanoTime();
        while (true) {
            if (detached) {
                return null;
            }
            Exit e = checkEnded();
            if (e != null) {
                return e;
            }
            if (timeoutNanos != Long.MAX_VALUE && System.nanoTime() - start >= timeoutNanos) {
                return null;
            }
            Thread.sleep(config.pollInterval().toMillis());
        }
    }

    /** The pod of node 0 once its worker container runs (or ran); null if the attempt ended before. */
    private String awaitWorkerStarted() throws InterruptedException {
        while (true) {
            if (detached) {
                return null;
            }
            refresh();
            Pod primary = primary();
            if (primary != null) {
                ContainerStatus s = status(primary.getStatus() == null ? null
                        : primary.getStatus().getContainerStatuses(), KubernetesManifests.WORKER);
                if (s != null && s.getState() != null
                        && (s.getState().getRunning() != null || s.getState().getTerminated() != null)) {
                    return primary.getMetadata().getName();
                }
            }
            if (checkEnded() != null) {
                return null;
            }
            Thread.sleep(config.pollInterval().toMillis());
        }
    }

    private void stream(String pod, Consumer<WorkerEvent> listener) throws InterruptedException {
        Instant last = null;
        int retriesAfterEnd = 3;
        while (!detached) {
            boolean broken = false;
            var logs = client.pods().inNamespace(config.namespace()).withName(pod)
                    .inContainer(KubernetesManifests.WORKER).usingTimestamps();
            Loggable log = last == null ? logs : logs.sinceTime(last.toString());
            try (LogWatch watchLog = log.watchLog();
                 BufferedReader lines = new BufferedReader(new InputStreamReader(watchLog.getOutput(),
                         StandardCharsets.UTF_8))) {
                currentLog = watchLog;
                String line;
                while (!detached && (line = lines.readLine()) != null) {
                    Instant at = null;
                    String text = line;
                    int space = line.indexOf(' ');
                    if (space > 0) {
                        try {
                            at = Instant.parse(line.substring(0, space));
                            text = line.substring(space + 1);
                        } catch (DateTimeParseException e) {
                            // not a timestamp: the whole line is the text
                        }
                    }
                    if (at != null && last != null && !at.isAfter(last)) {
                        continue; // seen before the stream was reopened
                    }
                    if (at != null) {
                        last = at;
                    }
                    Optional<WorkerEvent> event = EventLines.parse(text);
                    listening = true;
                    try {
                        if (event.isPresent() && !detached) {
                            deliver(listener, event.get());
                        }
                    } finally {
                        listening = false;
                        lastLine = System.nanoTime();
                    }
                }
            } catch (IOException | KubernetesClientException e) {
                broken = true;
            }
            if (detached) {
                return;
            }
            refresh();
            Pod p = pods.get(pod);
            if (p == null || deletedPods.contains(pod) || workerTerminated(p) != null) {
                if (!broken || --retriesAfterEnd <= 0 || p == null || deletedPods.contains(pod)) {
                    return;
                }
            }
            Thread.sleep(config.pollInterval().toMillis());
        }
    }

    @Override
    public Optional<String> watchdogReason() {
        return Optional.ofNullable(watchdogReason);
    }

    private void checkStall() {
        Duration quiet = Duration.ofNanos(System.nanoTime() - lastLine);
        if (!listening && !detached && exit == null && watchdogReason == null
                && quiet.compareTo(config.stallTimeout()) >= 0) {
            watchdogReason = "it printed nothing for " + WorkerProcess.words(config.stallTimeout())
                    + ", so it was stopped";
            LOG.log(System.Logger.Level.WARNING, "worker {0}: {1}", id(), watchdogReason);
            try {
                terminate();
            } catch (KubernetesClientException e) {
                // the API is out: the next check tries again
                watchdogReason = null;
                LOG.log(System.Logger.Level.WARNING, "worker {0}: could not stop it: {1}", id(), e.getMessage());
            }
        }
    }

    private void deliver(Consumer<WorkerEvent> listener, WorkerEvent event) {
        try {
            listener.accept(event);
        } catch (RuntimeException e) {
            try {
                kill();
            } catch (RuntimeException killFailed) {
                e.addSuppressed(killFailed);
            }
            throw e;
        }
    }

    /** Starts the pod watch, once. */
    private synchronized void track() {
        if (watch != null || exit != null) {
            return;
        }
        try {
            watch = client.pods().inNamespace(config.namespace()).withLabels(labels).watch(new Watcher<>() {
                @Override
                public void eventReceived(Action action, Pod pod) {
                    pods.put(pod.getMetadata().getName(), pod);
                    if (action == Action.DELETED) {
                        deletedPods.add(pod.getMetadata().getName());
                    }
                }

                @Override
                public void onClose(WatcherException cause) {
                    // polling goes on without it
                }
            });
        } catch (KubernetesClientException e) {
            watch = null; // polling only
        }
    }

    private synchronized void untrack() {
        if (watch != null) {
            watch.close();
            watch = null;
        }
    }

    /** Lists the pods: new ones are added, known ones updated, those no longer listed marked deleted. */
    private void refresh() throws InterruptedException {
        List<Pod> listed = api(() -> client.pods().inNamespace(config.namespace()).withLabels(labels).list()
                .getItems());
        Set<String> names = ConcurrentHashMap.newKeySet();
        for (Pod p : listed) {
            names.add(p.getMetadata().getName());
            pods.put(p.getMetadata().getName(), p);
        }
        for (String known : pods.keySet()) {
            if (!names.contains(known)) {
                deletedPods.add(known);
            }
        }
    }

    /** The exit, if the Job is over and every pod of it is over (so the sidecar's last upload is done). */
    private Exit checkEnded() throws InterruptedException {
        if (exit != null) {
            return exit;
        }
        Job job = api(() -> client.batch().v1().jobs().inNamespace(config.namespace()).withName(name).get());
        if (job != null) {
            lastJob = job;
        }
        refresh();
        boolean jobOver = job == null || condition(job, "Complete") != null || condition(job, "Failed") != null;
        boolean podsOver = pods.values().stream().allMatch(p -> deletedPods.contains(p.getMetadata().getName())
                || "Succeeded".equals(phase(p)) || "Failed".equals(phase(p)));
        if (!jobOver || !podsOver) {
            return null;
        }
        Exit result = null;
        for (Pod p : ordered()) {
            Exit podExit = podExit(p);
            if (result == null || (result.status().is(ExitCode.DONE) && !podExit.status().is(ExitCode.DONE))) {
                result = podExit;
            }
        }
        JobCondition failed = lastJob == null ? null : condition(lastJob, "Failed");
        if (result == null) {
            result = Exit.killed(failed != null ? failed.getReason()
                    : "the Job is gone (deleted, or removed by its TTL) and no pod of it was seen");
        } else if (failed != null && failed.getReason() != null && (result.reason().equals(POD_DELETED)
                || failed.getReason().equals("DeadlineExceeded"))) {
            // a worker stopped by the Job's deadline exits TERMINATED like a cancelled one: say which it was
            result = new Exit(result.status(), failed.getReason(), result.container());
        }
        exit = result;
        untrack();
        return result;
    }

    /**
     * Calls the API, riding out an outage (no response, 429, 5xx) of up to {@link #API_OUTAGE}: an attempt
     * runs for hours, and an API server restart must not end it. Other errors (403: the RBAC Role is missing a
     * verb) are thrown at once.
     */
    private <T> T api(Supplier<T> call) throws InterruptedException {
        long failingSince = 0;
        while (true) {
            try {
                return call.get();
            } catch (KubernetesClientException e) {
                boolean transientError = e.getCode() <= 0 || e.getCode() == 429 || e.getCode() >= 500;
                long now = System.nanoTime();
                if (failingSince == 0) {
                    failingSince = now;
                }
                if (!transientError || now - failingSince > API_OUTAGE.toNanos()) {
                    throw e;
                }
                LOG.log(System.Logger.Level.WARNING, "job {0}: Kubernetes API call failed, retrying: {1}", name,
                        e.getMessage());
                Thread.sleep(config.pollInterval().toMillis());
            }
        }
    }

    private Exit podExit(Pod p) {
        ContainerStateTerminated worker = workerTerminated(p);
        if (worker != null) {
            boolean oom = "OOMKilled".equals(worker.getReason());
            WorkerExit status = oom ? WorkerExit.of(ExitCode.KILLED) : new WorkerExit(worker.getExitCode());
            return new Exit(status, worker.getReason(), KubernetesManifests.WORKER);
        }
        ContainerStatus stage = status(p.getStatus() == null ? null : p.getStatus().getInitContainerStatuses(),
                KubernetesManifests.STAGE);
        if (stage != null && stage.getState() != null && stage.getState().getTerminated() != null
                && stage.getState().getTerminated().getExitCode() != 0) {
            ContainerStateTerminated t = stage.getState().getTerminated();
            return new Exit(new WorkerExit(t.getExitCode()), t.getReason()
                    + (t.getMessage() == null ? "" : ": " + t.getMessage()), KubernetesManifests.STAGE);
        }
        String reason = p.getStatus() == null ? null : p.getStatus().getReason();
        if (reason != null) {
            String message = p.getStatus().getMessage();
            return Exit.killed(message == null ? reason : reason + ": " + message);
        }
        return Exit.killed(POD_DELETED);
    }

    private static ContainerStateTerminated workerTerminated(Pod p) {
        ContainerStatus s = status(p.getStatus() == null ? null : p.getStatus().getContainerStatuses(),
                KubernetesManifests.WORKER);
        return s == null || s.getState() == null ? null : s.getState().getTerminated();
    }

    /** The pod of node 0 (the only pod of a single-node Job). */
    private Pod primary() {
        return ordered().stream().filter(p -> !deletedPods.contains(p.getMetadata().getName())).findFirst()
                .orElse(null);
    }

    /** Pods by completion index, then name. */
    private List<Pod> ordered() {
        return pods.values().stream()
                .sorted(Comparator.comparingInt(KubernetesWorker::index)
                        .thenComparing(p -> p.getMetadata().getName()))
                .toList();
    }

    private static int index(Pod p) {
        Map<String, String> annotations = p.getMetadata().getAnnotations();
        String v = annotations == null ? null : annotations.get(KubernetesManifests.COMPLETION_INDEX);
        try {
            return v == null ? 0 : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static String phase(Pod p) {
        return p.getStatus() == null ? null : p.getStatus().getPhase();
    }

    private static ContainerStatus status(List<ContainerStatus> statuses, String container) {
        return statuses == null ? null
                : statuses.stream().filter(s -> container.equals(s.getName())).findFirst().orElse(null);
    }

    private static JobCondition condition(Job job, String type) {
        if (job.getStatus() == null || job.getStatus().getConditions() == null) {
            return null;
        }
        return job.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst().orElse(null);
    }
}
