package dev.tuneforge.worker.protocol;

/**
 * How a worker process ended: its exit status as the operating system (or Kubernetes) reported it, and what that
 * means as an {@link ExitCode}. The code is derived from the status, never stored beside it, so the two cannot
 * disagree; the status is kept for logs and records (a SIGNALLED exit names its signal only through it).
 *
 * @param status the exit status as the operating system reports it: 128 + n for a process killed by signal n
 */
public record WorkerExit(int status) {

    /** The exit of a worker that ended with a protocol code. */
    public static WorkerExit of(ExitCode code) {
        return new WorkerExit(code.status());
    }

    public ExitCode code() {
        return ExitCode.of(status);
    }

    public boolean is(ExitCode code) {
        return code() == code;
    }

    /** {@code worker exited with 134 (killed by signal 6)}; an {@link ExitCode#OTHER} status has no words. */
    public String describe() {
        ExitCode code = code();
        return "worker exited with " + status + (code == ExitCode.OTHER ? "" : " (" + code.describe(status) + ")");
    }
}
