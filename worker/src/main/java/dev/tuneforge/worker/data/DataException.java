package dev.tuneforge.worker.data;

/** A data file that cannot be used, with the file, line and field that is wrong. Exit code 2. */
public class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
