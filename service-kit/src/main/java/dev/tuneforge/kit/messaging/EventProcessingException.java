package dev.tuneforge.kit.messaging;

/** An event whose effect kept failing after every retry; it goes to the dead-letter topic. */
public class EventProcessingException extends RuntimeException {

    public EventProcessingException(String message, Throwable cause) {
        super(message, cause);
    }
}
