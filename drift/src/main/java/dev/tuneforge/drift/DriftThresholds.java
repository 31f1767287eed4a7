package dev.tuneforge.drift;

/**
 * A pipeline's drift thresholds, with defaults chosen so that a window drawn from the training distribution is
 * flagged rarely (measured in {@code FalsePositiveRateTest}, docs/ARCHITECTURE.md "Drift statistics"):
 *
 * <ul>
 *   <li>{@code psi}: PSI above it is drift. Default 0.2, the conventional "significant shift" (Evidently's own
 *       default, 0.1, flags small windows of unchanged traffic too often: Sturges bins of a 200-prompt window
 *       leave sampling noise of about (bins - 1)(1/n_ref + 1/n_cur) in the index).</li>
 *   <li>{@code ksAlpha}: the KS p-value below it is drift. Default 0.01.</li>
 *   <li>{@code wasserstein}: the Wasserstein distance divided by the reference's standard deviation above it is
 *       drift, Evidently's {@code wasserstein} test. Default 0.2 (Evidently's 0.1 is for large samples).</li>
 *   <li>{@code jensenShannonAlpha} and {@code jensenShannon}: the vocabulary has drifted when the
 *       {@link VocabularyShift} p-value is below the first (default 0.01) and its JS distance, on the buckets,
 *       above the second (default 0.05, so a very large window does not flag a negligible change).</li>
 *   <li>{@code domainClassifierAuc}: Evidently's text-drift threshold, 0.55; the held-out AUC must also exceed the
 *       AUC a signal-free classifier exceeds with probability {@code domainClassifierLevel} (default 0.01;
 *       Evidently uses 0.05), which is the binding bound for small windows.</li>
 *   <li>{@code mmdAlpha}: the MMD permutation p-value below it is drift. Default 0.01, with
 *       {@code mmdPermutations} = 200 permutations (the smallest p-value is 1/201).</li>
 *   <li>{@code validityAlpha}: the two-proportion test's p-value below it is drift. Default 0.01.</li>
 *   <li>{@code embeddingsPerSide}: the embedding tests (domain classifier, MMD) use a seeded sample of at most this
 *       many prompts from each side (default 128), which bounds their cost; lengths, vocabulary and validity use
 *       every observation.</li>
 * </ul>
 */
public record DriftThresholds(double psi, double ksAlpha, double wasserstein, double jensenShannonAlpha,
                              double jensenShannon,
                              double domainClassifierAuc, double domainClassifierLevel, double mmdAlpha,
                              int mmdPermutations, double validityAlpha, int embeddingsPerSide) {

    public DriftThresholds {
        requireLevel("ksAlpha", ksAlpha);
        requireLevel("jensenShannonAlpha", jensenShannonAlpha);
        requireLevel("domainClassifierLevel", domainClassifierLevel);
        requireLevel("mmdAlpha", mmdAlpha);
        requireLevel("validityAlpha", validityAlpha);
        if (!(psi > 0) || !(wasserstein > 0) || !(jensenShannon > 0)) {
            throw new IllegalArgumentException("drift thresholds psi, wasserstein and jensenShannon must be > 0 (got "
                    + psi + ", " + wasserstein + ", " + jensenShannon + ")");
        }
        if (!(domainClassifierAuc >= 0.5 && domainClassifierAuc < 1)) {
            throw new IllegalArgumentException("drift threshold domainClassifierAuc must be in [0.5, 1) (got "
                    + domainClassifierAuc + ")");
        }
        if (mmdPermutations < 1 || embeddingsPerSide < 4) {
            throw new IllegalArgumentException("drift needs mmdPermutations >= 1 and embeddingsPerSide >= 4 (got "
                    + mmdPermutations + ", " + embeddingsPerSide + ")");
        }
    }

    public static DriftThresholds defaults() {
        return new DriftThresholds(0.2, 0.01, 0.2, 0.01, 0.05, 0.55, 0.01, 0.01, 200, 0.01, 128);
    }

    private static void requireLevel(String name, double level) {
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("drift threshold " + name + " must be in (0, 1) (got " + level + ")");
        }
    }
}
