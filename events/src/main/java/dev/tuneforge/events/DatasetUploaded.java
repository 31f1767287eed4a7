package dev.tuneforge.events;

/**
 * The gateway stored an uploaded JSONL file in S3; dataset-service validates it next.
 *
 * @param format      declared format ({@code chat}, {@code alpaca}, {@code completion}, {@code preference}),
 *                    or null to detect it
 * @param objectKey   S3 key of the raw upload
 * @param appendTo    version of this dataset the upload is appended to, or null for a new version
 * @param baseModel   base model whose tokenizer counts the tokens, or null for the default
 * @param validationObjectKey S3 key of the user's own validation file, used instead of a split; or null
 * @param purpose     {@code training} (null means training) or {@code evaluation}: an evaluation set's
 *                    prompts are kept out of every training dataset of the project
 */
public record DatasetUploaded(
        String projectId,
        String datasetId,
        String name,
        String format,
        String objectKey,
        String sha256,
        long sizeBytes,
        Integer appendTo,
        String baseModel,
        String uploadedBy,
        String purpose,
        String validationObjectKey) implements TuneforgeEvent {

    public static final String TRAINING = "training";
    public static final String EVALUATION = "evaluation";

    @Override
    public String aggregateId() {
        return datasetId;
    }
}
