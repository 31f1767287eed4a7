package dev.tuneforge.events;

import java.util.Map;

/**
 * {@code champion} moved back from {@code fromVersion} to {@code toVersion} (the previous champion).
 *
 * @param requestedBy who asked (API key id); optional
 * @param aliases     every alias of the model after the rollback (alias → version): {@code previous-champion}
 *                    now names the champion before {@code toVersion}, or is absent; optional
 */
public record ModelRolledBack(
        String projectId,
        String modelName,
        int fromVersion,
        int toVersion,
        String requestedBy,
        Map<String, Integer> aliases) implements TuneforgeEvent {

    public ModelRolledBack(String projectId, String modelName, int fromVersion, int toVersion) {
        this(projectId, modelName, fromVersion, toVersion, null, null);
    }

    @Override
    public String aggregateId() {
        return modelName;
    }
}
