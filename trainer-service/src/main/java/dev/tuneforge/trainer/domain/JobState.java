package dev.tuneforge.trainer.domain;

/** The lifecycle of a training job. */
public enum JobState {
    VALIDATING, QUEUED, RUNNING, PAUSED, SUCCEEDED, FAILED, CANCELLED;

    public boolean isFinal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public String dbValue() {
        return name().toLowerCase();
    }

    public static JobState fromDb(String value) {
        return valueOf(value.toUpperCase());
    }
}
