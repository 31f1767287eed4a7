package dev.tuneforge.worker;

import ai.djl.engine.EngineException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.worker.eval.Evaluator;
import dev.tuneforge.worker.protocol.EvalSpec;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.SpecException;
import dev.tuneforge.worker.protocol.SpecReader;
import dev.tuneforge.worker.serve.ServeCommand;
import dev.tuneforge.worker.serve.ServeOptions;
import dev.tuneforge.worker.train.StopSignal;
import dev.tuneforge.worker.train.Trainer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The worker process (DESIGN §7, docs/WORKER_PROTOCOL.md):
 * <pre>
 * worker train    --spec spec.json [--workdir DIR]
 * worker evaluate --spec spec.json [--workdir DIR] [--adapter DIR]
 * worker serve    --model DIR [--adapter DIR] [--adapters DIR [--max-adapters N]] --port N [--host H] [--device D]
 *                 [--parent-pid P]
 * </pre>
 * Stdout carries only the JSON-lines events; anything else that writes to stdout is sent to stderr.
 */
public final class Main {

    private static final String USAGE = "usage: worker train|evaluate --spec FILE [--workdir DIR] [--adapter DIR]\n"
            + "       worker serve --model DIR [--adapter DIR] [--adapters DIR [--max-adapters N]] --port N [--host H] "
            + "[--device D]";

    private Main() {
    }

    public static void main(String[] args) {
        PrintStream events = System.out;
        System.setOut(System.err);
        System.exit(run(args, events, StopSignal.onTermination()));
    }

    /** Runs one command and returns the exit status; every outcome is also an event on {@code out}. */
    public static int run(String[] args, PrintStream out, StopSignal stop) {
        return command(args, new EventSink(out), stop).status();
    }

    private static ExitCode command(String[] args, EventSink events, StopSignal stop) {
        try {
            if (args.length > 0 && args[0].equals("serve")) {
                ServeOptions options = ServeOptions.parse(Arrays.copyOfRange(args, 1, args.length));
                return new ServeCommand(options, events, stop).run();
            }
            Arguments a = Arguments.parse(args);
            JsonNode json = SpecReader.readJson(a.spec());
            return switch (a.command()) {
                case "train" -> new Trainer(SpecReader.train(json, a.workdir()), events, stop).run();
                case "evaluate" -> {
                    EvalSpec spec = SpecReader.eval(json, a.workdir());
                    if (a.adapter() != null) {
                        spec = spec.withAdapter(a.workdir().resolve(a.adapter()));
                    }
                    yield new Evaluator(spec, events).run();
                }
                default -> throw WorkerFailure.badSpec("unknown command '" + a.command() + "'; " + USAGE);
            };
        } catch (SpecException e) {
            return fail(events, WorkerFailure.badSpec(e.getMessage()));
        } catch (WorkerFailure e) {
            return fail(events, e);
        } catch (OutOfMemoryError e) {
            return fail(events, WorkerFailure.outOfResources("out of memory: " + e.getMessage(), e));
        } catch (EngineException e) {
            String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            if (message.contains("out of memory") || message.contains("failed to allocate")) {
                return fail(events, WorkerFailure.outOfResources(e.getMessage(), e));
            }
            return fail(events, WorkerFailure.internal(e.toString(), e));
        } catch (RuntimeException e) {
            return fail(events, WorkerFailure.internal(e.toString(), e));
        }
    }

    private static ExitCode fail(EventSink events, WorkerFailure failure) {
        if (failure.exitCode() == ExitCode.INTERNAL && failure.getCause() != null) {
            failure.getCause().printStackTrace(System.err);
        }
        events.emit(failure.event());
        return failure.exitCode();
    }

    /** The command line. */
    record Arguments(String command, Path spec, Path workdir, Path adapter) {
        static Arguments parse(String[] args) {
            if (args.length == 0) {
                throw WorkerFailure.badSpec(USAGE);
            }
            Path spec = null;
            Path workdir = Path.of(".");
            Path adapter = null;
            for (int i = 1; i < args.length; i++) {
                if (i + 1 >= args.length) {
                    throw WorkerFailure.badSpec(args[i] + " needs a value; " + USAGE);
                }
                switch (args[i]) {
                    case "--spec" -> spec = Path.of(args[++i]);
                    case "--workdir" -> workdir = Path.of(args[++i]);
                    case "--adapter" -> adapter = Path.of(args[++i]);
                    default -> throw WorkerFailure.badSpec("unknown option " + args[i] + "; " + USAGE);
                }
            }
            if (spec == null) {
                throw WorkerFailure.badSpec("--spec is required; " + USAGE);
            }
            return new Arguments(args[0], spec, workdir.toAbsolutePath().normalize(), adapter);
        }
    }
}
