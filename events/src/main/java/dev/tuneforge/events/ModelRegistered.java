package dev.tuneforge.events;

import java.util.Map;

/**
 * A model version exists in the registry; {@code status} is {@code candidate} or {@code rejected}. It carries
 * the version's model card, so a reader (the gateway's projection) can show the card and the lineage without
 * asking the registry. Every field after {@code status} is optional (null when the registry did not learn it).
 *
 * @param artifactKey       the registry's own copy of the artifact:
 *                          {@code projects/{p}/models/{name}/v{n}/{adapter|model}/}, ending with its manifest
 * @param artifactSha256    the directory digest of that copy (the manifest's), equal to the job's output digest
 * @param evalId            the evaluation that decided the status
 * @param reportKey         S3 key of that evaluation's report
 * @param metrics           the candidate's metrics from that evaluation
 * @param reason            why the gate failed ({@code rejected} only)
 * @param baseModel         base model the job fine-tuned
 * @param method            {@code lora} or {@code full}
 * @param hyperparameters   the hyperparameters the job was requested with ({@code auto} values unresolved)
 * @param datasetId         the dataset the job trained on
 * @param datasetVersion    its version
 * @param datasetSha256     that version's content digest ({@code DatasetReady.contentSha256})
 * @param sourceArtifactKey the job's output the artifact was copied from
 * @param requestedBy       who requested the job (API key id), or null for a pipeline
 * @param pipelineId        the pipeline that started the job, or null
 * @param tags              the version's tags
 */
public record ModelRegistered(
        String projectId,
        String modelName,
        int version,
        String jobId,
        String artifactKey,
        String artifactSha256,
        String status,
        String evalId,
        String reportKey,
        Map<String, Double> metrics,
        String reason,
        String baseModel,
        String method,
        Map<String, Object> hyperparameters,
        String datasetId,
        Integer datasetVersion,
        String datasetSha256,
        String sourceArtifactKey,
        String requestedBy,
        String pipelineId,
        Map<String, String> tags) implements TuneforgeEvent {

    public static final String CANDIDATE = "candidate";
    public static final String REJECTED = "rejected";

    public ModelRegistered(String projectId, String modelName, int version, String jobId, String artifactKey,
                           String artifactSha256, String status) {
        this(projectId, modelName, version, jobId, artifactKey, artifactSha256, status, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null);
    }

    @Override
    public String aggregateId() {
        return modelName;
    }
}
