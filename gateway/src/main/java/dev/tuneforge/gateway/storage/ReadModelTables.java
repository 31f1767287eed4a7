package dev.tuneforge.gateway.storage;

import java.util.List;

/**
 * Where a projection writes: the live tables the API reads, or their twins a rebuild fills before it
 * swaps them in. The names are constants, never input, so they can go into SQL text.
 */
public enum ReadModelTables {
    LIVE(""),
    REBUILD("_rebuild");

    /** Every table of the read model; {@code events} first (the rebuild treats it apart: it keeps seq). */
    public static final List<String> BASE_NAMES = List.of("events", "datasets", "dataset_versions", "jobs",
            "job_metrics", "job_checkpoints", "pipelines", "evals", "models", "model_versions", "model_aliases", "sweeps",
            "drift_windows");

    private final String suffix;

    ReadModelTables(String suffix) {
        this.suffix = suffix;
    }

    /** This set's name of a table of {@link #BASE_NAMES}. */
    public String table(String baseName) {
        if (!BASE_NAMES.contains(baseName)) {
            throw new IllegalArgumentException("not a read model table: " + baseName);
        }
        return baseName + suffix;
    }

    public String events() {
        return table("events");
    }

    public String datasets() {
        return table("datasets");
    }

    public String datasetVersions() {
        return table("dataset_versions");
    }

    public String jobs() {
        return table("jobs");
    }

    public String jobMetrics() {
        return table("job_metrics");
    }

    public String jobCheckpoints() {
        return table("job_checkpoints");
    }

    public String pipelines() {
        return table("pipelines");
    }

    public String evals() {
        return table("evals");
    }

    public String models() {
        return table("models");
    }

    public String modelVersions() {
        return table("model_versions");
    }

    public String modelAliases() {
        return table("model_aliases");
    }

    public String sweeps() {
        return table("sweeps");
    }

    public String driftWindows() {
        return table("drift_windows");
    }
}
