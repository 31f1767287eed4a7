package dev.tuneforge.events;

/** A user asks to point {@code alias} (default {@code champion}) of a model at a version. */
public record PromotionRequested(
        String projectId,
        String modelName,
        int version,
        String alias,
        String requestedBy) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return modelName;
    }
}
