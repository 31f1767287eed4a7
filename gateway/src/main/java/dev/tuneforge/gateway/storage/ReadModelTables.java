package dev.tuneforge.gateway.storage;

/**
 * Where a projection writes: the live tables the API reads, or their twins a rebuild fills before it
 * swaps them in. The names are constants, never input, so they can go into SQL text.
 */
public enum ReadModelTables {
    LIVE("events", "datasets", "dataset_versions"),
    REBUILD("events_rebuild", "datasets_rebuild", "dataset_versions_rebuild");

    private final String events;
    private final String datasets;
    private final String datasetVersions;

    ReadModelTables(String events, String datasets, String datasetVersions) {
        this.events = events;
        this.datasets = datasets;
        this.datasetVersions = datasetVersions;
    }

    public String datasetVersions() {
        return datasetVersions;
    }

    public String events() {
        return events;
    }

    public String datasets() {
        return datasets;
    }
}
