package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.gateway.storage.EvalReadModel;
import dev.tuneforge.kit.messaging.TransientFaults;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.kit.storage.ObjectStoreException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.InputStream;
import java.util.Optional;

/**
 * Evaluations as the API shows them: the row of the read model, and for one evaluation its full report,
 * read from S3 where eval-service wrote it: {@code projects/{p}/eval/{evalId}/attempt-{n}/report.json}, one per
 * attempt, the key taken from the outcome event ({@code report_key}) rather than built here.
 */
@ApplicationScoped
public class Evaluations {

    private static final Logger LOG = Logger.getLogger(Evaluations.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EvalReadModel evals;
    private final ObjectStore store;

    public Evaluations(EvalReadModel evals, ObjectStore store) {
        this.evals = evals;
        this.store = store;
    }

    /** One evaluation with its report; 404 when it is not the project's. */
    public EvalView withReport(String projectId, String evalId) {
        EvalView eval = evals.find(projectId, evalId)
                .orElseThrow(() -> DomainException.notFound("no evaluation '" + evalId + "'"));
        return eval.withReport(report(projectId, eval.reportKey()).orElse(null));
    }

    /**
     * The report at {@code key}, if there is one; only keys under the project's own prefix are read. A transient fault
     * of the object store (S3 restarting, a connection cut) is thrown, for the request to be answered 503 and sent
     * again, rather than shown as an evaluation without its report.
     */
    public Optional<JsonNode> report(String projectId, String key) {
        if (key == null || !key.startsWith("projects/" + projectId + "/")) {
            return Optional.empty();
        }
        try (InputStream in = store.get(key)) {
            return Optional.of(JSON.readTree(in));
        } catch (Exception e) {
            if (TransientFaults.isTransient(e)) {
                throw new ObjectStoreException("cannot read the evaluation report " + key, e);
            }
            LOG.warnf("evaluation report %s cannot be read: %s", key, e.toString());
            return Optional.empty();
        }
    }
}
