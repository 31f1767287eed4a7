package dev.tuneforge.events;

/** A model version exists in the registry; {@code status} is {@code candidate} or {@code rejected}. */
public record ModelRegistered(
        String projectId,
        String modelName,
        int version,
        String jobId,
        String artifactKey,
        String artifactSha256,
        String status) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return modelName;
    }
}
