package dev.tuneforge.worker.protocol;

/**
 * What a worker's exit status means (docs/WORKER_PROTOCOL.md, "Exit codes"), so that launchers and services act
 * on a name, never on a number. The protocol's codes have one status each; {@link #KILLED} and
 * {@link #TERMINATED} are the statuses a shell (and {@link Process#waitFor()}) reports for SIGKILL and SIGTERM,
 * 128 + the signal. Every other status still maps to a value, {@link #SIGNALLED} or {@link #OTHER}, so a newer
 * runtime's code or a crash is never an error here; {@link WorkerExit} keeps the number beside it.
 */
public enum ExitCode {

    DONE(0, "done"),
    /** Anything unexpected: a bug, not the job's fault. The stack trace is on stderr. */
    INTERNAL(1, "internal error"),
    /** The spec or the data is wrong; retrying will not help. */
    BAD_INPUT(2, "bad spec or data"),
    /** Out of memory (host or device); a bigger machine or a smaller batch may help. */
    OUT_OF_RESOURCES(3, "out of resources"),
    /** SIGKILL (128 + 9): killed from outside, or out of memory as the kernel or Kubernetes reports it. */
    KILLED(128 + 9, "killed by signal 9"),
    /** SIGTERM (128 + 15): stopped between steps, after writing a checkpoint. */
    TERMINATED(128 + 15, "stopped by SIGTERM"),
    /** Another signal (128 + n), e.g. SIGSEGV from a native crash. */
    SIGNALLED(-1, "killed by a signal"),
    /** Any other status: not one the protocol defines. */
    OTHER(-1, "not a protocol exit code");

    private static final int SIGNAL_BASE = 128;
    /** Linux's signals, 1 to 64 (real-time ones included). */
    private static final int MAX_SIGNAL = 64;

    private final int status;
    private final String description;

    ExitCode(int status, String description) {
        this.status = status;
        this.description = description;
    }

    /** The value for an exit status: a protocol code, {@link #SIGNALLED} for 129..192, else {@link #OTHER}. */
    public static ExitCode of(int status) {
        for (ExitCode code : values()) {
            if (code.status >= 0 && code.status == status) {
                return code;
            }
        }
        return status > SIGNAL_BASE && status <= SIGNAL_BASE + MAX_SIGNAL ? SIGNALLED : OTHER;
    }

    /** Whether one status stands for this value: false for {@link #SIGNALLED} and {@link #OTHER}. */
    public boolean hasStatus() {
        return status >= 0;
    }

    /**
     * The status a worker exits with for this code.
     *
     * @throws IllegalStateException for {@link #SIGNALLED} and {@link #OTHER}, which stand for many
     */
    public int status() {
        if (!hasStatus()) {
            throw new IllegalStateException(this + " stands for many exit statuses, not one");
        }
        return status;
    }

    /** What it means, in words: {@code bad spec or data}. */
    public String description() {
        return description;
    }

    /** {@link #description()} for {@code status}, which maps to this value: it names the signal of a SIGNALLED one. */
    String describe(int exitStatus) {
        return this == SIGNALLED ? "killed by signal " + (exitStatus - SIGNAL_BASE) : description;
    }
}
