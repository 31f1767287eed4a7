package dev.tuneforge.gateway.domain;

import dev.tuneforge.gateway.storage.DriftReadModel;
import dev.tuneforge.kit.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.InputStream;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's drift as the API shows it: the windows of the read model grouped per version, and one window's report,
 * read from S3 where eval-service wrote it (the key taken from the window's event, never built here). Only keys under
 * the project's own prefix are read, so a window can never show another project's object.
 */
@ApplicationScoped
public class DriftMonitoring {

    private final DriftReadModel drift;
    private final ModelRegistry registry;
    private final ObjectStore store;

    public DriftMonitoring(DriftReadModel drift, ModelRegistry registry, ObjectStore store) {
        this.drift = drift;
        this.registry = registry;
        this.store = store;
    }

    /** 404 when the model is not the project's; a model without windows has no versions. */
    public DriftHistory history(String projectId, String modelName, Integer version, OffsetDateTime since, int limit) {
        registry.model(projectId, modelName);
        Map<Integer, List<DriftHistory.Window>> byVersion = new LinkedHashMap<>();
        for (DriftReadModel.Row row : drift.windows(projectId, modelName, version, since, limit)) {
            byVersion.computeIfAbsent(row.version(), v -> new ArrayList<>()).add(row.window());
        }
        List<DriftHistory.VersionDrift> versions = byVersion.entrySet().stream()
                .map(e -> new DriftHistory.VersionDrift(e.getKey(), List.copyOf(e.getValue()), e.getValue().stream()
                        .filter(w -> w.detected() != null)
                        .map(w -> new DriftHistory.Detection(w.windowId(), w.windowEnd(), w.detected()))
                        .toList()))
                .toList();
        return new DriftHistory(modelName, versions);
    }

    /** The window's report as eval-service wrote it (JSON); the caller closes it. 404 when there is none. */
    public InputStream report(String projectId, String modelName, String windowId) {
        String key = drift.reportKey(projectId, modelName, windowId)
                .filter(k -> k.startsWith("projects/" + projectId + "/"))
                .filter(store::exists)
                .orElseThrow(() -> DomainException.notFound(
                        "model '" + modelName + "' has no drift report for window '" + windowId + "'"));
        return store.get(key);
    }
}
