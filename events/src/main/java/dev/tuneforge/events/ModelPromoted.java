package dev.tuneforge.events;

/** {@code alias} now points at {@code version}; {@code previousVersion} is null for the first. */
public record ModelPromoted(
        String projectId,
        String modelName,
        int version,
        String alias,
        Integer previousVersion) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return modelName;
    }
}
