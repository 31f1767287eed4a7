package dev.tuneforge.registry.domain;

/** Where a model version's artifact lives (DESIGN §6). */
public final class ModelKeys {

    private ModelKeys() {
    }

    /** {@code kind} is {@code adapter} (PEFT layout) or {@code model} (HF layout). */
    public static String version(String projectId, String modelName, int version, String kind) {
        return "projects/" + projectId + "/models/" + modelName + "/v" + version + "/" + kind + "/";
    }

    /** The kind of a job's output: the last segment of its prefix when it says, else from the method. */
    public static String kind(String artifactKey, String method) {
        String trimmed = artifactKey.endsWith("/") ? artifactKey.substring(0, artifactKey.length() - 1) : artifactKey;
        String last = trimmed.substring(trimmed.lastIndexOf('/') + 1);
        if (last.equals("adapter") || last.equals("model")) {
            return last;
        }
        return "full".equals(method) ? "model" : "adapter";
    }
}
