package dev.tuneforge.events;

public record ModelRolledBack(
        String projectId,
        String modelName,
        int fromVersion,
        int toVersion) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return modelName;
    }
}
