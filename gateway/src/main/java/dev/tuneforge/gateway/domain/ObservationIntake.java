package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.ObservationsReceived;
import dev.tuneforge.gateway.config.ObservationsConfig;
import dev.tuneforge.gateway.storage.ModelReadModel;
import dev.tuneforge.gateway.storage.ObservationIdStore;
import dev.tuneforge.gateway.storage.ProjectStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Observations from servers elsewhere ({@code POST /api/v1/models/{name}/observations}): a batch is checked whole
 * ({@link ObservationBatchReader}; one problem and nothing is stored), then, in one transaction, its ids are recorded
 * per project and model, the observations whose id was new are written to S3 and {@link ObservationsReceived} goes
 * to the outbox ({@link ObservationBatches}). So a re-sent observation, or one sent twice at once, is stored once,
 * and a failure anywhere (S3, the database) leaves nothing recorded: the client sends the batch again.
 */
@ApplicationScoped
public class ObservationIntake {

    /** What a batch came to: how many observations were new and stored, how many had been received before. */
    public record Received(int accepted, int duplicates, List<ObservationsReceived> batches) {
    }

    private final ObservationBatchReader reader;
    private final ModelReadModel models;
    private final ObservationIdStore ids;
    private final ProjectStore projects;
    private final ObservationBatches batches;

    public ObservationIntake(ObservationsConfig config, ModelReadModel models, ObservationIdStore ids,
                             ProjectStore projects, ObservationBatches batches) {
        this.reader = new ObservationBatchReader(config);
        this.models = models;
        this.ids = ids;
        this.projects = projects;
        this.batches = batches;
    }

    @Transactional
    public Received receive(Caller caller, String model, JsonNode body) {
        String project = caller.projectId();
        if (models.find(project, model).isEmpty()) {
            throw DomainException.notFound("no model '" + model + "'");
        }
        ObservationBatchReader.Result read = reader.read(body, model, Instant.now(),
                version -> models.version(project, model, version).isPresent());
        if (!read.errors().isEmpty()) {
            throw DomainException.unprocessable("invalid-observations", "Invalid observations", read.errors());
        }
        List<Observation> observations = read.observations();
        Set<String> fresh = ids.recordNew(project, model, observations.stream().map(Observation::id).toList());
        List<Observation> accepted = observations.stream().filter(o -> fresh.contains(o.id())).toList();
        List<ObservationsReceived> stored = accepted.isEmpty() ? List.of()
                : batches.store(project, model, accepted, projects.observationsRawText(project).orElse(true));
        return new Received(accepted.size(), observations.size() - accepted.size(), stored);
    }
}
