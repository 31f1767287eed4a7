package dev.tuneforge.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.ProtocolSchemaValidator;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.train.StopSignal;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs the worker in-process on a spec and collects its events, as a launcher would read them. Every line it
 * prints must be a valid event per {@code events.schema.json}, so each test that runs a command checks that too.
 */
public final class TrainRun {

    public static final ObjectMapper JSON = new ObjectMapper();

    private TrainRun() {
    }

    public record Outcome(ExitCode exitCode, List<WorkerEvent> events) {
        public <T extends WorkerEvent> List<T> all(Class<T> type) {
            return events.stream().filter(type::isInstance).map(type::cast).toList();
        }

        public <T extends WorkerEvent> T last(Class<T> type) {
            List<T> found = all(type);
            if (found.isEmpty()) {
                throw new AssertionError("no " + type.getSimpleName() + " event in " + events);
            }
            return found.getLast();
        }
    }

    public static Outcome run(String command, ObjectNode spec, Path workdir, StopSignal stop, String... extra) {
        return run(command, spec, workdir, stop, event -> { }, extra);
    }

    /** {@code train}, stopped (as by SIGTERM) once step {@code step}'s progress event is out. */
    public static Outcome trainStoppedAfter(long step, ObjectNode spec, Path workdir) {
        StopSignal stop = StopSignal.manual();
        return run("train", spec, workdir, stop, event -> {
            if (event instanceof WorkerEvent.Progress p && p.step() == step) {
                stop.request();
            }
        });
    }

    /** As {@link #run}, calling {@code listener} with each event as it is written. */
    public static Outcome run(String command, ObjectNode spec, Path workdir, StopSignal stop,
                              Consumer<WorkerEvent> listener, String... extra) {
        try {
            Files.createDirectories(workdir);
            Path specFile = Files.writeString(workdir.resolve(command + "-spec.json"), spec.toPrettyString());
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            String[] args = new String[] {command, "--spec", specFile.toString(), "--workdir", workdir.toString()};
            String[] all = Arrays.copyOf(args, args.length + extra.length);
            System.arraycopy(extra, 0, all, args.length, extra.length);
            OutputStream tee = new OutputStream() {
                private final ByteArrayOutputStream line = new ByteArrayOutputStream();

                @Override
                public void write(int b) {
                    bytes.write(b);
                    if (b == '\n') {
                        listener.accept(ProtocolSchemaValidator.validEvent(line.toString(StandardCharsets.UTF_8)));
                        line.reset();
                    } else {
                        line.write(b);
                    }
                }
            };
            int status = Main.run(all, new PrintStream(tee, true, StandardCharsets.UTF_8), stop);
            List<WorkerEvent> events = bytes.toString(StandardCharsets.UTF_8).lines()
                    .map(ProtocolSchemaValidator::validEvent).toList();
            return new Outcome(ExitCode.of(status), events);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
