package dev.tuneforge.gateway.domain;

import dev.tuneforge.events.ObservationsReceived;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Stores observations of one project and model: one JSONL object per model version ({@link ObservationLines}) under
 * {@link #key}, then an {@link ObservationsReceived} naming it through the outbox, in the caller's transaction. The
 * object is written before the transaction commits, so every event names an object that exists; a transaction that
 * rolls back after the write leaves an object no event names, which no reader ever opens (keys are never reused).
 */
@ApplicationScoped
public class ObservationBatches {

    private final ObjectStore objects;
    private final Outbox outbox;

    public ObservationBatches(ObjectStore objects, Outbox outbox) {
        this.objects = objects;
        this.outbox = outbox;
    }

    /** Where a batch is stored: per project and model, by the day it was written (UTC). */
    public static String key(String projectId, String model, LocalDate day, String batchId) {
        return "projects/" + projectId + "/observations/" + model + "/" + day.getYear() + "/"
                + String.format("%02d/%02d/", day.getMonthValue(), day.getDayOfMonth()) + batchId + ".jsonl";
    }

    /**
     * Writes {@code observations} (all of {@code model}) as one object per version and emits one event for each.
     *
     * @param rawText the project's setting: false stores derived features only
     * @return the events, one per version, in the order of the versions' first observations
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public List<ObservationsReceived> store(String projectId, String model, List<Observation> observations,
                                            boolean rawText) {
        Map<Integer, List<Observation>> byVersion = new LinkedHashMap<>();
        for (Observation observation : observations) {
            if (!observation.model().equals(model)) {
                throw new IllegalArgumentException("an observation of " + observation.model() + " in a batch of "
                        + model);
            }
            byVersion.computeIfAbsent(observation.version(), v -> new ArrayList<>()).add(observation);
        }
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<ObservationsReceived> events = new ArrayList<>();
        byVersion.forEach((version, batch) -> {
            String key = key(projectId, model, today, "ob_" + UUID.randomUUID().toString().replace("-", ""));
            objects.put(key, ObservationLines.write(batch, rawText), DatasetUploads.JSONL);
            ObservationsReceived event = new ObservationsReceived(projectId, model, version, key, batch.size());
            outbox.publish(event);
            events.add(event);
        });
        return events;
    }
}
