package dev.tuneforge.trainer.launch;

import dev.tuneforge.kit.recipe.Recipe;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.trainer.storage.AttemptKeys;
import dev.tuneforge.trainer.storage.DatasetVersions;
import dev.tuneforge.trainer.storage.DatasetVersions.DatasetVersion;
import dev.tuneforge.trainer.storage.Jobs.Job;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The training split an attempt stages: the dataset version's own, or, for a recipe with a {@code mix}, the job's and
 * the general dataset's train splits mixed by {@link TrainMix} and put at the attempt's
 * {@link AttemptKeys#mixedTrain} — in S3, so a Kubernetes Job's pod stages it as a local worker does, and the workers
 * need no change. Validation pinned the general version and recorded the counts in the job's recipe; the file is
 * written again by every attempt, the same bytes each time (same lines, same seed). Both splits are read into memory.
 */
@ApplicationScoped
public class MixedTrainSplits {

    private final ObjectStore store;
    private final DatasetVersions datasets;

    public MixedTrainSplits(ObjectStore store, DatasetVersions datasets) {
        this.store = store;
        this.datasets = datasets;
    }

    /** {@code dataset} with the train key the attempt is to stage. */
    public DatasetVersion stage(Job job, int attempt, DatasetVersion dataset) throws IOException {
        Optional<Recipe.Mix> mix = Recipe.Mix.of(job.recipe());
        if (mix.isEmpty()) {
            return dataset;
        }
        DatasetVersion general = datasets.find(mix.get().datasetId(), mix.get().datasetVersion())
                .orElseThrow(() -> new IllegalStateException("the general dataset " + mix.get().datasetId()
                        + " version " + mix.get().datasetVersion() + " vanished"));
        long seed = ((Number) job.recipe().get("seed")).longValue();
        List<String> mixed = TrainMix.mix(lines(dataset.trainKey()), lines(general.trainKey()), mix.get().fraction(),
                seed);
        String key = AttemptKeys.mixedTrain(job.projectId(), job.jobId(), attempt);
        store.put(key, (String.join("\n", mixed) + "\n").getBytes(StandardCharsets.UTF_8), "application/jsonl");
        return dataset.withTrainKey(key);
    }

    private List<String> lines(String key) throws IOException {
        List<String> lines = new ArrayList<>();
        try (InputStream in = store.get(key);
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
        }
        return lines;
    }
}
