package dev.tuneforge.gateway.storage;

import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * The {@code observation_ids} table: the client ids of the observations the intake accepted, per project and model.
 * An id is inserted in the transaction that stores its observation; a concurrent transaction inserting the same id
 * waits for that one to end (the primary key) and then finds it, so an observation sent twice at once is stored once.
 */
@ApplicationScoped
public class ObservationIdStore {

    private final Jdbc jdbc;

    public ObservationIdStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** Records {@code ids} and returns those not recorded before (in the caller's transaction). */
    public Set<String> recordNew(String projectId, String modelName, Collection<String> ids) {
        return new HashSet<>(jdbc.query("""
                INSERT INTO observation_ids (project_id, model_name, observation_id)
                SELECT ?, ?, id FROM unnest(?::text[]) AS id
                ON CONFLICT DO NOTHING RETURNING observation_id""",
                row -> row.getString(1), projectId, modelName, ids.toArray(String[]::new)));
    }
}
