package dev.tuneforge.conformance;

import dev.tuneforge.launcher.WorkerProcess;
import dev.tuneforge.worker.protocol.EvalSpec;
import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.ProtocolSchemaValidator;
import dev.tuneforge.worker.protocol.SpecWriter;
import dev.tuneforge.worker.protocol.TrainSpec;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * One {@code train} or {@code evaluate} of a runtime, started with {@link WorkerProcess#start} as trainer-service
 * and eval-service start it: the spec written to the work directory, stderr appended to its {@code worker.log}.
 * Every line of stdout is kept as printed, so a test holds each one to the events schema, not only the ones the
 * launcher's tolerant reader would take.
 */
final class WorkerRun {

    /** Longer than any run of the suite takes, even on a busy machine; then the worker is killed and the test fails. */
    private static final long TIMEOUT_SECONDS = 240;
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "worker-watchdog");
        t.setDaemon(true);
        return t;
    });

    private WorkerRun() {
    }

    /**
     * How a run ended: its exit and every line it printed.
     *
     * @param timedOut the watchdog killed it
     */
    record Outcome(Runtime runtime, String command, WorkerExit exit, List<String> lines, Path workdir,
                   boolean timedOut) {

        Outcome {
            lines = List.copyOf(lines);
        }

        /** The events, each line checked against {@code events.schema.json} (an AssertionError names a bad one). */
        List<WorkerEvent> events() {
            return lines.stream().map(line -> {
                try {
                    return ProtocolSchemaValidator.validEvent(line);
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\n" + describe(), e);
                }
            }).toList();
        }

        <T extends WorkerEvent> List<T> all(Class<T> type) {
            return events().stream().filter(type::isInstance).map(type::cast).toList();
        }

        <T extends WorkerEvent> T last(Class<T> type) {
            List<T> found = all(type);
            if (found.isEmpty()) {
                throw new AssertionError("no " + type.getSimpleName() + " event\n" + describe());
            }
            return found.getLast();
        }

        /** Fails, saying what the worker printed and logged, unless it exited with {@code code}. */
        Outcome assertExit(ExitCode code) {
            if (!exit.is(code)) {
                throw new AssertionError("expected exit " + code + " (" + (code.hasStatus() ? code.status() : "?")
                        + "), got " + exit.status() + "\n" + describe());
            }
            return this;
        }

        /** What a person debugging a failure wants: the exit, the events, the end of stderr. */
        String describe() {
            StringBuilder b = new StringBuilder(runtime + " " + command + " in " + workdir + ": "
                    + (timedOut ? "killed after " + TIMEOUT_SECONDS + " s, " : "") + exit.describe() + "\n");
            lines.forEach(line -> b.append("  ").append(line).append('\n'));
            b.append("--- end of ").append(workdir.resolve("worker.log")).append(" ---\n").append(logTail(workdir));
            return b.toString();
        }
    }

    static Outcome train(Runtime runtime, TrainSpec spec, Path workdir) {
        return train(runtime, spec, workdir, (event, worker) -> { });
    }

    /** As {@link #train(Runtime, TrainSpec, Path)}; {@code onEvent} sees each event as it is printed, and the worker. */
    static Outcome train(Runtime runtime, TrainSpec spec, Path workdir, BiConsumer<WorkerEvent, WorkerProcess> onEvent) {
        return run(runtime, "train", SpecWriter.json(spec), workdir, onEvent);
    }

    static Outcome evaluate(Runtime runtime, EvalSpec spec, Path workdir) {
        return run(runtime, "evaluate", SpecWriter.json(spec), workdir, (event, worker) -> { });
    }

    /** Runs {@code command} on a spec given as text (which may be one no writer would produce). */
    static Outcome run(Runtime runtime, String command, String specJson, Path workdir,
                       BiConsumer<WorkerEvent, WorkerProcess> onEvent) {
        try {
            Path spec = Files.writeString(workdir.resolve(command + "-spec.json"), specJson);
            WorkerProcess worker = WorkerProcess.start(runtime.command(), command, spec, workdir);
            AtomicBoolean timedOut = new AtomicBoolean();
            ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
                timedOut.set(true);
                worker.kill();
            }, TIMEOUT_SECONDS, TimeUnit.SECONDS);
            List<String> lines = new CopyOnWriteArrayList<>();
            WorkerExit exit;
            try {
                exit = worker.pumpLines(line -> {
                    lines.add(line);
                    EventLines.parse(line).ifPresent(event -> onEvent.accept(event, worker));
                });
            } finally {
                watchdog.cancel(false);
            }
            // for whoever looks at a failure: the events beside the log (a resumed run's after the first's)
            Files.write(workdir.resolve(command + "-events.jsonl"), lines, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            return new Outcome(runtime, command, exit, lines, workdir, timedOut.get());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + runtime + " ran " + command, e);
        }
    }

    /** The end of a work directory's {@code worker.log}. */
    static String logTail(Path workdir) {
        return Conformance.tail(workdir.resolve("worker.log"));
    }
}
