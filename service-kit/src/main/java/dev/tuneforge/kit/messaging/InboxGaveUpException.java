package dev.tuneforge.kit.messaging;

/**
 * The inbox stopped working on a record without deciding about it: a transient fault outlasted
 * {@code tuneforge.messaging.transient-retry-for}, or the service is stopping. Thrown out of the {@code @Incoming}
 * method, it fails the channel (failure strategy {@code fail}) without committing the record's offset, so the event is
 * delivered again when the service restarts; never a reason to dead-letter it.
 */
public class InboxGaveUpException extends RuntimeException {

    public InboxGaveUpException(String message, Throwable cause) {
        super(message, cause);
    }
}
