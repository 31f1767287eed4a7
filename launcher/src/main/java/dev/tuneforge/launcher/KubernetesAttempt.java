package dev.tuneforge.launcher;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One attempt of a job, as {@link KubernetesLauncher} runs it: the worker's command line and spec, what to stage
 * from S3 into {@code /work} before it starts, and where the sidecar puts what it writes.
 *
 * @param jobId            the job (in the Job's name, labels and annotations)
 * @param attempt          1, 2, ...: each attempt is its own Job
 * @param runtime          the runtime's command line; {@code command --spec /work/spec.json --workdir /work} is
 *                         appended, as for a local process
 * @param command          {@code train} or {@code evaluate}
 * @param spec             the {@code spec.json} document; its paths are relative to {@code /work} and its
 *                         {@code output_dir} is {@value #OUTPUT_DIR}
 * @param inputs           S3 objects to stage: a key ending in {@code /} is a prefix, copied as a directory
 * @param checkpointPrefix where {@code out/checkpoint-<n>/} goes, as {@code <prefix>step-<n>/} (the
 *                         {@code ObjectKeys.jobCheckpoint} layout), or null to keep checkpoints in the pod
 * @param outputPrefix     where {@code out/adapter/} or {@code out/model/} goes, as {@code <prefix>adapter/}, and
 *                         {@code out/trainer_state.json} as {@code <prefix>trainer_state/trainer_state.json}; or null
 * @param nodes            pods, one per node: more than one runs torch under {@code torchrun} in an Indexed Job
 */
public record KubernetesAttempt(String jobId, int attempt, WorkerCommand runtime, String command, String spec,
                                List<Input> inputs, String checkpointPrefix, String outputPrefix, int nodes) {

    public static final String WORKDIR = "/work";
    public static final String SPEC = WORKDIR + "/spec.json";
    /** The spec's {@code output_dir}: the sidecar watches {@code /work/out}. */
    public static final String OUTPUT_DIR = "out";

    /** An S3 key (or prefix, ending in {@code /}) and where it goes, relative to {@code /work}. */
    public record Input(String key, String path) {
        public Input {
            if (key == null || key.isBlank() || key.startsWith("/")) {
                throw new IllegalArgumentException("input key must be a non-empty S3 key, got '" + key + "'");
            }
            Path p = Path.of(Objects.requireNonNull(path, "path")).normalize();
            if (path.isBlank() || p.isAbsolute() || p.startsWith("..") || p.toString().isEmpty()) {
                throw new IllegalArgumentException("input path must be inside /work, got '" + path + "'");
            }
            path = p.toString();
        }

        public boolean isPrefix() {
            return key.endsWith("/");
        }
    }

    public KubernetesAttempt {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(spec, "spec");
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be >= 1, got " + attempt);
        }
        if (nodes < 1) {
            throw new IllegalArgumentException("nodes must be >= 1, got " + nodes);
        }
        if (nodes > 1 && !runtime.runtime().equals("torch")) {
            throw new IllegalArgumentException("only the torch runtime runs on several nodes, not " + runtime.runtime());
        }
        for (String prefix : new String[] {checkpointPrefix, outputPrefix}) {
            if (prefix != null && !prefix.endsWith("/")) {
                throw new IllegalArgumentException("an S3 prefix ends with '/', got '" + prefix + "'");
            }
        }
    }

    /** The worker's command line in the pod (the same list a local process gets, with the pod's paths). */
    public List<String> commandLine(WorkerCommand effective) {
        return effective.commandLine(command, Path.of(SPEC), Path.of(WORKDIR));
    }
}
