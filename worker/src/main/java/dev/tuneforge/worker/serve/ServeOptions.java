package dev.tuneforge.worker.serve;

import dev.tuneforge.worker.WorkerFailure;
import java.nio.file.Path;

/**
 * The command line of {@code worker serve --model DIR [--adapter DIR] [--adapters DIR [--max-adapters N]] --port N
 * [--host H] [--device D] [--parent-pid P]}. With {@code --adapters} the server also serves the adapters under
 * that directory, chosen per request (docs/WORKER_PROTOCOL.md, "Many adapters in one server"). The host defaults to the loopback interface: the server has no authentication, so reaching it
 * from elsewhere is a deliberate choice. With a parent pid the server stops once that process is gone.
 *
 * @param parentPid the launcher's pid, or null
 * @param adapters    the directory of adapters served per request, or null
 * @param maxAdapters how many of them stay in memory at most
 */
public record ServeOptions(Path model, Path adapter, Path adapters, int maxAdapters, String host, int port,
                           String device, Long parentPid) {

    public static final int DEFAULT_MAX_ADAPTERS = 8;
    public static final String USAGE = "usage: worker serve --model DIR [--adapter DIR] [--adapters DIR "
            + "[--max-adapters N]] --port N [--host H] [--device cpu|cuda|cuda:N|auto] [--parent-pid P]";

    /** Parses the arguments after {@code serve}; relative paths resolve against the current directory. */
    public static ServeOptions parse(String[] args) {
        Path model = null;
        Path adapter = null;
        Path adapters = null;
        Integer maxAdapters = null;
        String host = "127.0.0.1";
        Integer port = null;
        String device = "cpu";
        Long parentPid = null;
        for (int i = 0; i < args.length; i++) {
            if (i + 1 >= args.length) {
                throw WorkerFailure.badSpec(args[i] + " needs a value; " + USAGE);
            }
            String value = args[++i];
            switch (args[i - 1]) {
                case "--model" -> model = Path.of(value).toAbsolutePath().normalize();
                case "--adapter" -> adapter = Path.of(value).toAbsolutePath().normalize();
                case "--adapters" -> adapters = Path.of(value).toAbsolutePath().normalize();
                case "--max-adapters" -> maxAdapters = maxAdapters(value);
                case "--host" -> host = value;
                case "--port" -> port = port(value);
                case "--device" -> device = device(value);
                case "--parent-pid" -> parentPid = pid(value);
                default -> throw WorkerFailure.badSpec("unknown option " + args[i - 1] + "; " + USAGE);
            }
        }
        if (model == null) {
            throw WorkerFailure.badSpec("--model is required; " + USAGE);
        }
        if (port == null) {
            throw WorkerFailure.badSpec("--port is required (0 picks a free one); " + USAGE);
        }
        if (maxAdapters != null && adapters == null) {
            throw WorkerFailure.badSpec("--max-adapters needs --adapters; " + USAGE);
        }
        return new ServeOptions(model, adapter, adapters, maxAdapters != null ? maxAdapters : DEFAULT_MAX_ADAPTERS,
                host, port, device, parentPid);
    }

    private static int maxAdapters(String value) {
        try {
            int max = Integer.parseInt(value);
            if (max >= 1) {
                return max;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw WorkerFailure.badSpec("--max-adapters must be an integer >= 1, got " + value);
    }

    private static long pid(String value) {
        try {
            long pid = Long.parseLong(value);
            if (pid > 0) {
                return pid;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw WorkerFailure.badSpec("--parent-pid must be a process id, got " + value);
    }

    private static int port(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw WorkerFailure.badSpec("--port must be 0..65535, got " + value);
    }

    private static String device(String value) {
        if (!value.matches("cpu|cuda(:\\d+)?|auto")) {
            throw WorkerFailure.badSpec("--device must be cpu, cuda, cuda:N or auto, got " + value);
        }
        return value;
    }
}
