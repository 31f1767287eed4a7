package dev.tuneforge.worker;

import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.FailureCode;
import dev.tuneforge.worker.protocol.WorkerEvent;

/**
 * A failure the runtime reports as a {@code failed} event with this code, then exits with the code's exit status.
 * Thrown anywhere in a command; {@link Main} turns it into the event and the exit.
 */
public class WorkerFailure extends RuntimeException {

    private final FailureCode code;

    public WorkerFailure(FailureCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public static WorkerFailure badSpec(String message) {
        return new WorkerFailure(FailureCode.BAD_SPEC, message, null);
    }

    public static WorkerFailure badData(String message, Throwable cause) {
        return new WorkerFailure(FailureCode.BAD_DATA, message, cause);
    }

    public static WorkerFailure outOfResources(String message, Throwable cause) {
        return new WorkerFailure(FailureCode.OUT_OF_RESOURCES, message, cause);
    }

    public static WorkerFailure internal(String message, Throwable cause) {
        return new WorkerFailure(FailureCode.INTERNAL, message, cause);
    }

    public FailureCode code() {
        return code;
    }

    public ExitCode exitCode() {
        return code.exitCode();
    }

    /** The {@code failed} event that reports it. */
    public WorkerEvent.Failed event() {
        return new WorkerEvent.Failed(code, getMessage());
    }
}
