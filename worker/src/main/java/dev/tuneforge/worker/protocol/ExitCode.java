package dev.tuneforge.worker.protocol;

/** The worker's exit codes (DESIGN §7); launchers act on them without parsing output. */
public final class ExitCode {

    public static final int DONE = 0;
    /** Anything unexpected: a bug, not the job's fault. */
    public static final int INTERNAL = 1;
    /** The spec or the data is wrong; retrying will not help. */
    public static final int BAD_INPUT = 2;
    /** Out of memory (host or device); a bigger machine or smaller batch may help. */
    public static final int OUT_OF_RESOURCES = 3;
    /** Stopped by SIGTERM after writing a checkpoint: 128 + 15, as a shell reports it. */
    public static final int TERMINATED = 143;

    private ExitCode() {
    }
}
