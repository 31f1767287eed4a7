package dev.tuneforge.events;

/**
 * A user asks to give {@code champion} back to the previous champion.
 *
 * @param fromVersion optional: roll back only while the champion is this version, so repeating the request
 *                    (a retry, a double click) rolls back once; null rolls back whatever the champion is
 */
public record RollbackRequested(String projectId, String modelName, String requestedBy, Integer fromVersion)
        implements TuneforgeEvent {

    public RollbackRequested(String projectId, String modelName, String requestedBy) {
        this(projectId, modelName, requestedBy, null);
    }

    @Override
    public String aggregateId() {
        return modelName;
    }
}
