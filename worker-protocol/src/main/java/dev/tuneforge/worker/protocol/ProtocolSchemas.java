package dev.tuneforge.worker.protocol;

import java.io.InputStream;

/**
 * The protocol's JSON Schemas as this jar carries them: {@code worker-protocol/schemas/}, the files the Python
 * runtime reads too, packaged under {@value #RESOURCE_DIR}. Tests validate specs and events against them.
 */
public enum ProtocolSchemas {

    /** {@code spec.json} of {@code worker train}. */
    TRAIN_SPEC("train-spec.schema.json"),
    /** {@code spec.json} of {@code worker evaluate}. */
    EVAL_SPEC("eval-spec.schema.json"),
    /** One line of a worker's stdout. */
    EVENTS("events.schema.json");

    public static final String RESOURCE_DIR = "dev/tuneforge/worker/protocol/schemas/";

    private final String fileName;

    ProtocolSchemas(String fileName) {
        this.fileName = fileName;
    }

    /** The file's name in {@code worker-protocol/schemas/}. */
    public String fileName() {
        return fileName;
    }

    /** The schema's JSON, from the classpath. */
    public InputStream open() {
        InputStream in = ProtocolSchemas.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + fileName);
        if (in == null) {
            throw new IllegalStateException("no " + RESOURCE_DIR + fileName + " on the classpath");
        }
        return in;
    }
}
