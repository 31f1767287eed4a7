package dev.tuneforge.events;

/** registry-service archived a version: its status is {@code archived} from now on. */
public record ModelArchived(String projectId, String modelName, int version, String requestedBy)
        implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return modelName;
    }
}
