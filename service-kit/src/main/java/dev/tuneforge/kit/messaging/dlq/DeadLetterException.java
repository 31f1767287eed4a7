package dev.tuneforge.kit.messaging.dlq;

/** Why a dead-letter operation cannot be done; the caller's API maps the kind to its own error. */
public class DeadLetterException extends RuntimeException {

    public enum Kind {
        /** No such dead letter (or no such dead-letter topic). */
        NOT_FOUND,
        /** It was replayed already. */
        CONFLICT,
        /** The request itself is wrong (an id that is not one, a record that is no dead letter). */
        INVALID
    }

    private final Kind kind;

    private DeadLetterException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public static DeadLetterException notFound(String message) {
        return new DeadLetterException(Kind.NOT_FOUND, message);
    }

    public static DeadLetterException conflict(String message) {
        return new DeadLetterException(Kind.CONFLICT, message);
    }

    public static DeadLetterException invalid(String message) {
        return new DeadLetterException(Kind.INVALID, message);
    }

    public Kind kind() {
        return kind;
    }
}
