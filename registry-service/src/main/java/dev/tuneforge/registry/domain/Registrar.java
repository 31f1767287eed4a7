package dev.tuneforge.registry.domain;

import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.registry.storage.ArtifactCopier;
import dev.tuneforge.registry.storage.AuditLog;
import dev.tuneforge.registry.storage.EvalOutcomes;
import dev.tuneforge.registry.storage.EvalOutcomes.Outcome;
import dev.tuneforge.registry.storage.Lineage;
import dev.tuneforge.registry.storage.Lineage.Job;
import dev.tuneforge.registry.storage.ModelVersions;
import dev.tuneforge.registry.storage.Models;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Registers every evaluated job as a version of its model: a passed one as {@code candidate}, at once promoted
 * to {@code champion}; a failed one as {@code rejected} (kept for lineage, never promoted).
 *
 * <p>A version needs the evaluation's verdict ({@code tuneforge.eval}) and the job's artifact
 * ({@code TrainingFinished}, {@code tuneforge.training}). The two travel on different topics, so either may come
 * first: each is recorded, and whichever completes the pair registers the version (under a per-job lock, so
 * exactly one of them does). A job becomes one version at most; later verdicts on it change nothing.
 */
@ApplicationScoped
public class Registrar {

    private final Models models;
    private final ModelVersions versions;
    private final EvalOutcomes outcomes;
    private final Lineage lineage;
    private final ArtifactCopier artifacts;
    private final Promotions promotions;
    private final AuditLog audit;
    private final Outbox outbox;

    public Registrar(Models models, ModelVersions versions, EvalOutcomes outcomes, Lineage lineage,
                     ArtifactCopier artifacts, Promotions promotions, AuditLog audit, Outbox outbox) {
        this.models = models;
        this.versions = versions;
        this.outcomes = outcomes;
        this.lineage = lineage;
        this.artifacts = artifacts;
        this.promotions = promotions;
        this.audit = audit;
        this.outbox = outbox;
    }

    public void passed(EvalPassed e, Cause cause) {
        evaluated(new Outcome(e.jobId(), e.projectId(), e.modelName(), e.evalId(), true, e.metrics(), e.gate(), null,
                e.reportKey(), cause.actor()), cause);
    }

    public void failed(EvalFailed e, Cause cause) {
        evaluated(new Outcome(e.jobId(), e.projectId(), e.modelName(), e.evalId(), false, e.metrics(), e.gate(),
                e.reason(), e.reportKey(), cause.actor()), cause);
    }

    public void trainingFinished(TrainingFinished e, Instant at, Cause cause) {
        outcomes.lockJob(e.jobId());
        lineage.jobFinished(e, at);
        if (versions.ofJob(e.jobId()).isEmpty()) {
            // the evaluation decided; this event only completed the pair
            outcomes.of(e.jobId()).ifPresent(outcome -> register(outcome, lineage.job(e.jobId()).orElseThrow(),
                    new Cause(cause.eventId(), outcome.source())));
        }
    }

    private void evaluated(Outcome outcome, Cause cause) {
        outcomes.lockJob(outcome.jobId());
        if (!outcomes.record(outcome) || versions.ofJob(outcome.jobId()).isPresent()) {
            Outcome first = outcomes.of(outcome.jobId()).orElse(outcome);
            audit.append(first.projectId(), first.modelName(), versions.ofJob(outcome.jobId())
                    .map(ModelVersion::version).orElse(null), "evaluation-ignored", cause, Promotions.detail(
                    "jobId", outcome.jobId(), "evalId", outcome.evalId(), "reason",
                    "job already evaluated by " + first.evalId()));
            return;
        }
        Optional<Job> job = lineage.job(outcome.jobId()).filter(Job::finished);
        job.ifPresent(j -> register(outcome, j, cause)); // else its TrainingFinished registers it
    }

    private void register(Outcome o, Job job, Cause cause) {
        String project = o.projectId();
        String model = o.modelName() != null ? o.modelName() : job.modelName();
        models.lock(project, model);
        int number = models.nextVersion(project, model);
        String target = ModelKeys.version(project, model, number, ModelKeys.kind(job.artifactKey(), job.method()));
        String digest = artifacts.copy(job.artifactKey(), target, job.artifactSha256());
        String datasetSha256 = job.datasetId() == null || job.datasetVersion() == null ? null
                : lineage.datasetVersion(job.datasetId(), job.datasetVersion())
                        .map(Lineage.DatasetVersion::contentSha256).orElse(null);
        ModelVersion v = new ModelVersion(project, model, number, o.jobId(), o.evalId(),
                o.passed() ? ModelVersion.CANDIDATE : ModelVersion.REJECTED, target, digest, job.artifactKey(),
                job.baseModel(), job.method(), job.hyperparameters(), job.datasetId(), job.datasetVersion(),
                datasetSha256, o.reportKey(), o.metrics(), o.gate(), o.reason(), job.requestedBy(), job.pipelineId(),
                cause.actor(), Instant.now());
        versions.insert(v);
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("evaluation", o.passed() ? "passed" : "failed");
        if (job.pipelineId() != null) {
            tags.put("pipeline", job.pipelineId());
        }
        tags.forEach((tag, value) -> versions.tag(project, model, number, tag, value));
        audit.append(project, model, number, "registered", cause, Promotions.detail("status", v.status(),
                "jobId", o.jobId(), "evalId", o.evalId(), "artifactKey", target, "artifactSha256", digest,
                "sourceArtifactKey", job.artifactKey()));
        outbox.publish(new ModelRegistered(project, model, number, o.jobId(), target, digest, v.status(), o.evalId(),
                o.reportKey(), o.metrics(), o.reason(), job.baseModel(), job.method(), job.hyperparameters(),
                job.datasetId(), job.datasetVersion(), datasetSha256, job.artifactKey(), job.requestedBy(),
                job.pipelineId(), versions.tags(project, model, number)));
        if (o.passed()) {
            promotions.moveChampion(v, "evaluation", cause);
        }
    }
}
