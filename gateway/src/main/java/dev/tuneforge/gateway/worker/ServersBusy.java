package dev.tuneforge.gateway.worker;

/**
 * No model server could be had in time: every one of the pool's {@code tuneforge.serving.max-servers} slots held a
 * server that was starting, answering a request or stopping for as long as a request may wait
 * ({@code tuneforge.serving.queue-timeout}). Not a fault of the model: the client is told to come back.
 */
public final class ServersBusy extends RuntimeException {

    private final long retryAfterSeconds;

    ServersBusy(String message, long retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** When a slot is likely to be free: the {@code Retry-After} of the answer. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
