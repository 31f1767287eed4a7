package dev.tuneforge.launcher;

import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A worker running as a local process: its events go to a listener as they are printed (on the caller's
 * thread, in {@link #pumpEvents}), its stderr to a log file in the work directory.
 */
public final class WorkerProcess implements RunningWorker {

    private final Process process;
    private final Path log;

    private WorkerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command} in {@code workdir}; stderr is appended to {@code workdir/worker.log}. */
    public static WorkerProcess start(WorkerCommand runtime, String command, Path spec, Path workdir)
            throws IOException {
        List<String> line = runtime.commandLine(command, spec, workdir);
        ProcessBuilder builder = new ProcessBuilder(line).directory(workdir.toFile());
        builder.environment().putAll(runtime.env());
        Path log = workdir.resolve("worker.log");
        builder.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        return new WorkerProcess(builder.start(), log);
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
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                listener.accept(line);
            }
        } catch (IOException e) {
            // the pipe broke: the worker is gone; its exit code says how
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
        return new WorkerExit(process.waitFor());
    }

    /**
     * SIGTERM: the worker finishes its step, writes a checkpoint and exits TERMINATED. Sent through the process
     * handle, because {@link Process#destroy()} also closes our end of stdout and the last events would be lost.
     */
    @Override
    public void terminate() {
        process.toHandle().destroy();
    }

    /** SIGKILL, keeping stdout open so whatever was printed is still read. */
    @Override
    public void kill() {
        process.toHandle().destroyForcibly();
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        return process.waitFor(timeout, unit);
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
