package dev.tuneforge.trainer.storage;

/**
 * Where an attempt writes in S3: under a prefix of its own, {@code projects/{p}/jobs/{j}/attempt-{n}/}, its checkpoints
 * as {@code checkpoints/step-{s}/} and its output as {@code output/adapter/} or {@code output/model/} (with
 * {@code output/trainer_state/}), the layout of {@code ObjectKeys.jobCheckpoint} and {@code jobOutput} one level down,
 * so an artifact's last segment still names its kind.
 *
 * <p>No two attempts share a key. An attempt is uploaded first and published after, under the lease: the checkpoint's
 * key goes into {@code CheckpointSaved} and the job's last checkpoint (where the next attempt resumes from), the
 * output's into {@code TrainingFinished.artifactKey} (what eval-service, registry-service and the gateway read). So an
 * instance that lost its lease while stalled and uploads late writes under its own attempt only, and is then refused
 * the publishing: it never replaces what the attempt that took over published. A re-adopted Kubernetes Job keeps its
 * attempt number, and with it its prefix: its sidecar is still the only writer there.
 */
public final class AttemptKeys {

    private AttemptKeys() {
    }

    /** {@code projects/{p}/jobs/{j}/attempt-{n}/}. */
    public static String of(String projectId, String jobId, int attempt) {
        return "projects/" + projectId + "/jobs/" + jobId + "/attempt-" + attempt + "/";
    }

    /**
     * The training file the attempt stages when its recipe mixes in a general dataset ({@code MixedTrainSplits}); no
     * event names it, so it is swept once the job has ended.
     */
    public static String mixedTrain(String projectId, String jobId, int attempt) {
        return of(projectId, jobId, attempt) + "data/train-mixed.jsonl";
    }

    /** Where the attempt's checkpoints go; a sidecar appends {@code step-<n>/}. */
    public static String checkpoints(String projectId, String jobId, int attempt) {
        return of(projectId, jobId, attempt) + "checkpoints/";
    }

    /** The attempt's checkpoint at an optimizer step, as the worker wrote it. */
    public static String checkpoint(String projectId, String jobId, int attempt, long step) {
        return checkpoints(projectId, jobId, attempt) + "step-" + step + "/";
    }

    /** Where the attempt's output goes; a sidecar appends {@code adapter/}, {@code model/}, {@code trainer_state/}. */
    public static String outputs(String projectId, String jobId, int attempt) {
        return of(projectId, jobId, attempt) + "output/";
    }

    /**
     * The attempt's result: {@code kind} is {@code adapter} (PEFT layout), {@code model} (HF layout) or
     * {@code trainer_state}.
     */
    public static String output(String projectId, String jobId, int attempt, String kind) {
        return outputs(projectId, jobId, attempt) + kind + "/";
    }
}
