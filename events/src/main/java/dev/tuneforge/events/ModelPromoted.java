package dev.tuneforge.events;

import java.util.Map;

/**
 * {@code alias} now points at {@code version}; {@code previousVersion} is null for the first.
 *
 * @param requestedBy who asked (API key id), or null when an evaluation's pass promoted it
 * @param aliases     every alias of the model after this change (alias → version), so a reader also learns
 *                    the aliases the registry moved with it ({@code previous-champion}); optional
 */
public record ModelPromoted(
        String projectId,
        String modelName,
        int version,
        String alias,
        Integer previousVersion,
        String requestedBy,
        Map<String, Integer> aliases) implements TuneforgeEvent {

    public static final String CHAMPION = "champion";
    public static final String CHALLENGER = "challenger";
    public static final String PREVIOUS_CHAMPION = "previous-champion";

    public ModelPromoted(String projectId, String modelName, int version, String alias, Integer previousVersion) {
        this(projectId, modelName, version, alias, previousVersion, null, null);
    }

    @Override
    public String aggregateId() {
        return modelName;
    }
}
