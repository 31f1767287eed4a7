package dev.tuneforge.gateway.storage;

/**
 * Where a projection writes: the live tables the API reads, or their twins a rebuild fills before it
 * swaps them in. The names are constants, never input, so they can go into SQL text.
 */
public enum ReadModelTables {
    LIVE("events", "datasets"),
    REBUILD("events_rebuild", "datasets_rebuild");

    private final String events;
    private final String datasets;

    ReadModelTables(String events, String datasets) {
        this.events = events;
        this.datasets = datasets;
    }

    public String events() {
        return events;
    }

    public String datasets() {
        return datasets;
    }
}
