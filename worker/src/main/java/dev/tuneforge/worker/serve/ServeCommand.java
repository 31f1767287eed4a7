package dev.tuneforge.worker.serve;

import dev.tuneforge.worker.EventSink;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.WorkerFailure;
import dev.tuneforge.worker.train.StopSignal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;

/**
 * {@code worker serve}: loads the model, serves the OpenAI-compatible API until SIGTERM (or until its
 * {@code --parent-pid} is gone: a launcher killed with SIGKILL cannot stop its servers), and exits TERMINATED
 * as a stopped training run does. A launcher waits for the {@code serving} event, which carries the
 * bound port, before sending requests.
 */
public final class ServeCommand {

    /** How often the main thread looks at the stop signal; a signal handler cannot block. */
    private static final long POLL_MILLIS = 100;

    private final ServeOptions options;
    private final EventSink events;
    private final StopSignal stop;
    /** Why serving ended when it was not a signal (the parent is gone). */
    private String reason;

    public ServeCommand(ServeOptions options, EventSink events, StopSignal stop) {
        this.options = options;
        this.events = events;
        this.stop = stop;
    }

    public ExitCode run() {
        try (ServedModel served = ServedModel.load(options.model(), options.adapter(), options.adapters(),
                options.maxAdapters(), options.device());
             OpenAiServer server = bind(served)) {
            String url = "http://" + hostForUrl() + ":" + server.port() + "/v1";
            events.emit(new WorkerEvent.Serving(options.host(), server.port(), served.id(), url));
            while (!stop.requested() && reason == null) {
                if (options.parentPid() != null && !alive(options.parentPid())) {
                    reason = "parent " + options.parentPid() + " exited";
                    break;
                }
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        events.emit(new WorkerEvent.Stopped(0, null, reason != null ? reason : "SIGTERM"));
        return ExitCode.TERMINATED;
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private OpenAiServer bind(ServedModel served) {
        try {
            return OpenAiServer.start(served, options.host(), options.port());
        } catch (BindException e) {
            throw WorkerFailure.badSpec("cannot listen on " + options.host() + ":" + options.port() + ": "
                    + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the server", e);
        }
    }

    /** An IPv6 literal needs brackets in a URL. */
    private String hostForUrl() {
        return options.host().contains(":") ? "[" + options.host() + "]" : options.host();
    }
}
