package dev.tuneforge.drift;

/** The drift metrics of a window, each compared with its own threshold; a DriftDetected episode is per metric. */
public enum Metric {
    PROMPT_LENGTH_PSI,
    PROMPT_LENGTH_KS,
    PROMPT_LENGTH_WASSERSTEIN,
    COMPLETION_LENGTH_PSI,
    COMPLETION_LENGTH_KS,
    COMPLETION_LENGTH_WASSERSTEIN,
    COMPLETION_VOCABULARY_JS,
    PROMPT_DOMAIN_CLASSIFIER_AUC,
    PROMPT_EMBEDDING_MMD,
    OUTPUT_VALIDITY_RATE
}
