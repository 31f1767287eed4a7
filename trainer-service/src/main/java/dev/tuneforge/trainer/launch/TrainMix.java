package dev.tuneforge.trainer.launch;

import dev.tuneforge.kit.recipe.Recipe;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A job's training lines with a share of a general dataset's mixed in ({@link Recipe.Mix}), as one file the worker
 * reads like any other: for n task lines, {@code k = round(n * fraction / (1 - fraction))} general lines
 * ({@link Recipe.Mix#generalExamples}), drawn without replacement when the general set has at least k (with
 * replacement when it is smaller), then all n + k shuffled together. Every task line is there exactly once, so the
 * general share of each epoch is {@code k / (n + k)}, the fraction up to rounding. Drawing and shuffling use one
 * {@link Random} seeded with the recipe's {@code seed} ({@code java.util.Random}'s sequence is specified, so the same
 * lines and seed give the same file on every JVM and every attempt). A plain unit: not a bean.
 */
public final class TrainMix {

    private TrainMix() {
    }

    /**
     * @param task    the job's training lines (blank lines already left out)
     * @param general the general dataset's training lines, not empty
     */
    public static List<String> mix(List<String> task, List<String> general, double fraction, long seed) {
        if (general.isEmpty()) {
            throw new IllegalArgumentException("the general dataset has no training examples to mix in");
        }
        long k = new Recipe.Mix("", null, fraction).generalExamples(task.size());
        Random random = new Random(seed);
        List<String> out = new ArrayList<>(task);
        if (k <= general.size()) {
            List<String> pool = new ArrayList<>(general);
            for (int i = 0; i < k; i++) { // a partial Fisher-Yates shuffle: the first k of a random permutation
                Collections.swap(pool, i, i + random.nextInt(pool.size() - i));
                out.add(pool.get(i));
            }
        } else {
            for (long i = 0; i < k; i++) {
                out.add(general.get(random.nextInt(general.size())));
            }
        }
        Collections.shuffle(out, random);
        return out;
    }
}
