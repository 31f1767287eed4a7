package dev.tuneforge.registry.domain;

import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.registry.storage.ModelVersions;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Registers every evaluated candidate as a version of its model: a passed one as {@code candidate}
 * (promotion builds on it), a failed one as {@code rejected} (kept for lineage, never promoted).
 */
@ApplicationScoped
public class Registrar {

    private final ModelVersions versions;
    private final Outbox outbox;

    public Registrar(ModelVersions versions, Outbox outbox) {
        this.versions = versions;
        this.outbox = outbox;
    }

    public void passed(EvalPassed passed) {
        register(passed.projectId(), passed.modelName(), passed.jobId(), passed.evalId(), "candidate");
    }

    public void failed(EvalFailed failed) {
        register(failed.projectId(), failed.modelName(), failed.jobId(), failed.evalId(), "rejected");
    }

    private void register(String projectId, String modelName, String jobId, String evalId, String status) {
        if (versions.versionOfJob(jobId).isPresent()) {
            return; // a job yields one version, whatever evaluations say later
        }
        int version = versions.register(projectId, modelName, jobId, evalId, status);
        outbox.publish(new ModelRegistered(projectId, modelName, version, jobId, null, null, status));
    }
}
