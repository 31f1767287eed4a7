package dev.tuneforge.kit.storage;

/** Object keys that more than one service reads (DESIGN §6). */
public final class ObjectKeys {

    private ObjectKeys() {
    }

    /** The base-model catalogue: a Hugging Face model directory per name, shared by all projects. */
    public static String baseModel(String name) {
        return "base-models/" + name + "/";
    }

    /** The manifest a complete directory upload ends with (files, sizes, digests); written last. */
    public static final String MANIFEST = "manifest.json";

    /** A job's checkpoint at an optimizer step, as the worker wrote it. */
    public static String jobCheckpoint(String projectId, String jobId, long step) {
        return "projects/" + projectId + "/jobs/" + jobId + "/checkpoints/step-" + step + "/";
    }

    /** A job's result: {@code kind} is {@code adapter} (PEFT layout) or {@code model} (HF layout). */
    public static String jobOutput(String projectId, String jobId, String kind) {
        return "projects/" + projectId + "/jobs/" + jobId + "/output/" + kind + "/";
    }
}
