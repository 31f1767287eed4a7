package dev.tuneforge.eval.run;

import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.worker.protocol.DataFormat;
import dev.tuneforge.worker.protocol.EvalSpec;
import dev.tuneforge.worker.protocol.GenerationParams;
import java.nio.file.Path;

/**
 * One subject on one held-out file, as the worker is asked to evaluate it.
 *
 * @param name          unique per evaluation and subject: a Kubernetes Job's name and the local work directory
 *                      follow from it
 * @param attempt       the evaluation run's attempt (1, 2, ...)
 * @param baseModel     the base model's name in the catalogue
 * @param artifactKey   the S3 prefix of an adapter or whole model on top of it, or null for the base model itself
 * @param fullModel     whether the artifact is a whole model (method {@code full}) rather than an adapter
 * @param dataKey       the held-out JSONL in S3
 * @param format        how the worker reads it: {@link DataFormat#CHAT} (dataset-service's normalised examples) or
 *                      {@link DataFormat#PREFERENCE} (its pairs: each line adds the chosen and rejected answers'
 *                      log-probabilities)
 * @param maxSeqLength  the spec's {@code max_seq_length}
 * @param maxNewTokens  the spec's {@code max_new_tokens}
 * @param resultsPrefix where {@code results/results.jsonl} and its {@code manifest.json} go
 */
public record EvaluationTask(String name, int attempt, String baseModel, String artifactKey, boolean fullModel,
                             String dataKey, DataFormat format, int maxSeqLength, int maxNewTokens,
                             String resultsPrefix) {

    /** The directory the worker writes its results into, relative to its work directory. */
    static final Path RESULTS_DIR = Path.of("out/results");

    public String baseModelKey() {
        return ObjectKeys.baseModel(baseModel);
    }

    /** The results file's S3 key, under {@link #resultsDirKey()}. */
    public String resultsKey() {
        return resultsDirKey() + "results.jsonl";
    }

    /** The results directory's S3 prefix: {@code <resultsPrefix>results/}, with its manifest once complete. */
    public String resultsDirKey() {
        return resultsPrefix + "results/";
    }

    /**
     * The worker's spec, with the paths where the launcher put the inputs: a whole model is evaluated as the base
     * model, an adapter on top of it. Greedy decoding, so a subject's results are the same every time (the cache
     * relies on that).
     */
    EvalSpec spec(Path baseModelPath, Path artifactPath, Path dataPath, String device) {
        boolean wholeModel = artifactKey != null && fullModel;
        Path adapter = artifactKey != null && !fullModel ? artifactPath : null;
        return new EvalSpec(wholeModel ? artifactPath : baseModelPath, adapter, dataPath, format, maxSeqLength,
                GenerationParams.greedy(maxNewTokens), RESULTS_DIR.resolve("results.jsonl"), device);
    }
}
