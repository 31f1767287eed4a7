package dev.tuneforge.worker.safetensors;

/** A safetensors file is malformed, or does not hold what the caller asked for. */
public class SafetensorsException extends RuntimeException {
    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
