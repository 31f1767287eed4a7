package dev.tuneforge.worker.model;

/** A model directory's config.json asks for something this runtime cannot run, or is malformed. */
public class ModelConfigException extends RuntimeException {
    public ModelConfigException(String message) {
        super(message);
    }

    public ModelConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
