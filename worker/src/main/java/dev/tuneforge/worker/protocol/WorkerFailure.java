package dev.tuneforge.worker.protocol;

/** A failure the worker reports as a {@code failed} event with this code and exit status. */
public class WorkerFailure extends RuntimeException {

    private final String code;
    private final int exitCode;

    public WorkerFailure(String code, int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.exitCode = exitCode;
    }

    public static WorkerFailure badSpec(String message) {
        return new WorkerFailure("bad_spec", ExitCode.BAD_INPUT, message, null);
    }

    public static WorkerFailure badData(String message, Throwable cause) {
        return new WorkerFailure("bad_data", ExitCode.BAD_INPUT, message, cause);
    }

    public static WorkerFailure outOfResources(String message, Throwable cause) {
        return new WorkerFailure("out_of_resources", ExitCode.OUT_OF_RESOURCES, message, cause);
    }

    public static WorkerFailure internal(String message, Throwable cause) {
        return new WorkerFailure("internal", ExitCode.INTERNAL, message, cause);
    }

    public String code() {
        return code;
    }

    public int exitCode() {
        return exitCode;
    }
}
