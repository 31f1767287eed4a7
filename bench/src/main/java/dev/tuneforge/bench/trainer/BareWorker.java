package dev.tuneforge.bench.trainer;

import dev.tuneforge.bench.Timing;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerProcess;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The baseline: the worker started directly, with the command line trainer-service builds
 * ({@link WorkerCommand#djl}, same defaults: 1 BLAS thread, {@code -Xmx2g}) and a copy of the
 * {@code spec.json} trainer-service wrote for an earlier job (same base model, data and recipe). Events are
 * read exactly as trainer-service reads them ({@link WorkerProcess#pumpEvents}).
 */
final class BareWorker {

    /** Local instants of one bare run; {@code stateWritten} is the mtime of the worker's trainer_state.json. */
    record Run(Instant launched, Instant startedLine, Instant finishedLine, Instant stateWritten, Instant exited) {

        Duration toStarted() {
            return Duration.between(launched, startedLine);
        }

        Duration toExit() {
            return Duration.between(launched, exited);
        }
    }

    private final WorkerCommand command;

    BareWorker(WorkerCommand command) {
        this.command = command;
    }

    Run run(String spec, Path workdir) throws IOException, InterruptedException {
        Files.createDirectories(workdir);
        Path specFile = workdir.resolve("spec.json");
        Files.writeString(specFile, spec);
        Instant[] started = new Instant[1];
        Instant[] finished = new Instant[1];
        Instant launched = Instant.now();
        WorkerProcess process = WorkerProcess.start(command, "train", specFile, workdir);
        WorkerExit exit = process.pumpEvents(event -> {
            switch (event) {
                case WorkerEvent.Started s -> started[0] = Instant.now();
                case WorkerEvent.Finished f -> finished[0] = Instant.now();
                default -> { }
            }
        });
        Instant exited = Instant.now();
        if (!exit.is(ExitCode.DONE) || started[0] == null || finished[0] == null) {
            throw new IllegalStateException("bare worker in " + workdir + ": " + exit.describe() + "; see "
                    + process.log());
        }
        return new Run(launched, started[0], finished[0], Timing.mtime(workdir.resolve("out/trainer_state.json")),
                exited);
    }
}
