package dev.tuneforge.events;

/**
 * A user asks to archive a model version (OpenAI's {@code DELETE /v1/models/{id}} of a fine-tuned model): it is
 * no longer served nor promoted, and its artifact and lineage stay. registry-service refuses a version that an
 * alias points at (champion included): promote another first.
 */
public record ModelArchiveRequested(String projectId, String modelName, int version, String requestedBy)
        implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return modelName;
    }
}
