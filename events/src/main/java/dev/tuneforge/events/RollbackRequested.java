package dev.tuneforge.events;

/** A user asks to give {@code champion} back to the previous champion. */
public record RollbackRequested(String projectId, String modelName, String requestedBy) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return modelName;
    }
}
