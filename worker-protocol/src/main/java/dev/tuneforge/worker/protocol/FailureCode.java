package dev.tuneforge.worker.protocol;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The {@code code} of a {@code failed} event: why the worker gave up, and with which exit code it follows. A code
 * this reader does not know (a newer runtime's) reads as {@link #INTERNAL}; the event's {@code exit_code} and
 * {@code message} still say what happened.
 */
public enum FailureCode {

    /** The spec or the command line is wrong. */
    BAD_SPEC(ExitCode.BAD_INPUT),
    /** A data file is missing or malformed. */
    BAD_DATA(ExitCode.BAD_INPUT),
    /** Host or device memory ran out. */
    OUT_OF_RESOURCES(ExitCode.OUT_OF_RESOURCES),
    /** A bug. */
    @JsonEnumDefaultValue
    INTERNAL(ExitCode.INTERNAL);

    private final ExitCode exitCode;

    FailureCode(ExitCode exitCode) {
        this.exitCode = exitCode;
    }

    /** The exit code that follows a failure with this code. */
    public ExitCode exitCode() {
        return exitCode;
    }

    /** The name on the wire: {@code bad_spec}, {@code bad_data}, {@code out_of_resources}, {@code internal}. */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
