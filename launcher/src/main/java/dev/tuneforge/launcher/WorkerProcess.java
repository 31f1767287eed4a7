package dev.tuneforge.launcher;

import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A worker running as a local process: its events go to a listener as they are printed (on the caller's
 * thread, in {@link #pumpEvents}), its stderr to a log file in the work directory. It starts with a minimal
 * environment ({@link WorkerEnvironment}), never the service's. Its {@link WorkerWatchdog} makes sure it ends: a
 * worker still alive {@code stopGrace} after SIGTERM gets SIGKILL, and one that prints nothing for
 * {@code stallTimeout} is stopped; {@link #watchdogReason()} then says why.
 */
public final class WorkerProcess implements RunningWorker {

    private static final System.Logger LOG = System.getLogger(WorkerProcess.class.getName());
    /**
     * Timers of every worker's watchdog, local or a Kubernetes Job's: each task only looks at a clock or sends a
     * signal (a Job's deletion).
     */
    static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "worker-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Process process;
    private final Path log;
    private final WorkerWatchdog watchdog;
    private final AtomicBoolean escalating = new AtomicBoolean();
    private volatile long lastLine = System.nanoTime();
    /** While the listener handles a line (an upload can take minutes), the worker's silence is ours, not its. */
    private volatile boolean listening;
    private volatile String watchdogReason;

    private WorkerProcess(Process process, Path log, WorkerWatchdog watchdog) {
        this.process = process;
        this.log = log;
        this.watchdog = watchdog;
    }

    /** Starts {@code command} in {@code workdir} without a watchdog; stderr goes to {@code workdir/worker.log}. */
    public static WorkerProcess start(WorkerCommand runtime, String command, Path spec, Path workdir)
            throws IOException {
        return start(runtime, command, spec, workdir, WorkerWatchdog.NONE);
    }

    /** Starts {@code command} in {@code workdir} under {@code watchdog}; stderr goes to {@code workdir/worker.log}. */
    public static WorkerProcess start(WorkerCommand runtime, String command, Path spec, Path workdir,
                                      WorkerWatchdog watchdog) throws IOException {
        List<String> line = runtime.commandLine(command, spec, workdir);
        ProcessBuilder builder = new ProcessBuilder(line).directory(workdir.toFile());
        builder.environment().clear();
        builder.environment().putAll(WorkerEnvironment.of(runtime));
        Path log = workdir.resolve("worker.log");
        builder.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        return new WorkerProcess(builder.start(), log, watchdog);
    }

    public long pid() {
        return process.pid();
    }

    /** The pid, as text. */
    @Override
    public String id() {
        return Long.toString(process.pid());
    }

    public Path log() {
        return log;
    }

    /** Why the watchdog stopped or killed the worker (it went quiet, it ignored SIGTERM); empty if it did not. */
    @Override
    public Optional<String> watchdogReason() {
        return Optional.ofNullable(watchdogReason);
    }

    /**
     * Reads events until the worker closes stdout, handing each to {@code listener}; then waits for the
     * process to exit and returns how. A listener that throws stops reading and kills the worker.
     */
    @Override
    public WorkerExit pumpEvents(Consumer<WorkerEvent> listener) throws InterruptedException {
        return pumpLines(line -> EventLines.parse(line).ifPresent(listener));
    }

    /**
     * As {@link #pumpEvents}, handing over every line of stdout as it was printed, events or not: for a check of
     * what a runtime prints (the conformance suite holds each line to the events schema).
     */
    public WorkerExit pumpLines(Consumer<String> listener) throws InterruptedException {
        lastLine = System.nanoTime();
        ScheduledFuture<?> stallCheck = watchdog.stallTimeout() == null ? null
                : TIMERS.scheduleWithFixedDelay(this::checkStall, checkPeriod(watchdog.stallTimeout()),
                        checkPeriod(watchdog.stallTimeout()), TimeUnit.MILLISECONDS);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                listening = true;
                try {
                    listener.accept(line);
                } finally {
                    listening = false;
                    lastLine = System.nanoTime();
                }
            }
        } catch (IOException e) {
            // the pipe broke: the worker is gone; its exit code says how
        } catch (RuntimeException e) {
            kill();
            throw e;
        } finally {
            if (stallCheck != null) {
                stallCheck.cancel(false);
            }
        }
        return new WorkerExit(process.waitFor());
    }

    /**
     * SIGTERM: the worker finishes its step, writes a checkpoint and exits TERMINATED; if it is still alive
     * {@code stopGrace} later, SIGKILL. Sent through the process handle, because {@link Process#destroy()} also
     * closes our end of stdout and the last events would be lost.
     */
    @Override
    public void terminate() {
        process.toHandle().destroy();
        Duration grace = watchdog.stopGrace();
        if (grace != null && escalating.compareAndSet(false, true)) {
            TIMERS.schedule(() -> {
                if (process.isAlive()) {
                    String why = "it did not exit within " + words(grace) + " of SIGTERM, so it was killed";
                    watchdogReason = watchdogReason == null ? why : watchdogReason + "; " + why;
                    LOG.log(System.Logger.Level.WARNING, "worker {0}: {1}", id(), why);
                    kill();
                }
            }, grace.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * SIGKILL to the worker and every process it started (torchrun's workers, a script's children), so none keeps
     * stdout open; stdout stays open on our side, so whatever was printed is still read.
     */
    @Override
    public void kill() {
        // the list is taken first (a dead parent's children are no longer its descendants), and the worker is
        // killed before them: a child killed first would let a shell's `wait` return and the worker exit 0
        List<ProcessHandle> started = process.toHandle().descendants().toList();
        process.toHandle().destroyForcibly();
        started.forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        return process.waitFor(timeout, unit);
    }

    private void checkStall() {
        Duration quiet = Duration.ofNanos(System.nanoTime() - lastLine);
        if (!listening && watchdogReason == null && process.isAlive()
                && quiet.compareTo(watchdog.stallTimeout()) >= 0) {
            watchdogReason = "it printed nothing for " + words(watchdog.stallTimeout()) + ", so it was stopped";
            LOG.log(System.Logger.Level.WARNING, "worker {0}: {1}", id(), watchdogReason);
            terminate();
        }
    }

    /** {@code 30 min}, {@code 5 s}, {@code 250 ms}. */
    static String words(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0) {
            return ms / 60_000 + " min";
        }
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    /** A tenth of the timeout, between 100 ms and 30 s: late by at most that much. */
    static long checkPeriod(Duration timeout) {
        return Math.clamp(timeout.toMillis() / 10, 100, 30_000);
    }

    /**
     * A worker left running by an earlier instance of the service (which was killed): found by its pid and
     * checked by its command line, which names the attempt's work directory, so a recycled pid is never hit.
     */
    public static Optional<ProcessHandle> orphan(long pid, Path workdir) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().commandLine().map(c -> c.contains(workdir.toString())).orElse(false));
    }
}
