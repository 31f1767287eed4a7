package dev.tuneforge.gateway.openai;

import java.util.Optional;

/**
 * The {@code model} name of a fine-tuned job's result, as OpenAI writes it: {@code ft:{base}:{project}:{suffix}:{job}},
 * and of one of its checkpoints: the same with {@code :ckpt-step-{step}}. Base model, project, suffix (the model's
 * registry name) and job id are names without a colon, so the parts are unambiguous.
 */
public record FineTunedModelName(String jobId, Long checkpointStep) {

    public static final String PREFIX = "ft:";
    private static final String CHECKPOINT = "ckpt-step-";

    public static String of(String baseModel, String projectId, String suffix, String jobId) {
        return PREFIX + baseModel + ":" + projectId + ":" + suffix + ":" + jobId;
    }

    public static String checkpoint(String baseModel, String projectId, String suffix, String jobId, long step) {
        return of(baseModel, projectId, suffix, jobId) + ":" + CHECKPOINT + step;
    }

    /** The job (and checkpoint) a name points at; empty if it is not an {@code ft:} name. */
    public static Optional<FineTunedModelName> parse(String model) {
        if (model == null || !model.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] parts = model.split(":", -1);
        if (parts.length == 5) {
            return Optional.of(new FineTunedModelName(parts[4], null));
        }
        if (parts.length == 6 && parts[5].startsWith(CHECKPOINT)) {
            try {
                return Optional.of(new FineTunedModelName(parts[4],
                        Long.parseLong(parts[5].substring(CHECKPOINT.length()))));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
