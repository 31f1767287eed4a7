-- Hyperparameter sweeps (SweepRequested): the request as it came, and one row per trial. A trial is an ordinary job,
-- requested by the sweep (TrainingRequested with sweep_id) when a place among the sweep's parallelism frees up.
CREATE TABLE sweeps (
    sweep_id    TEXT        PRIMARY KEY,
    project_id  TEXT        NOT NULL,
    request     TEXT        NOT NULL,
    status      TEXT        NOT NULL,
    best_job_id TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);

-- state: pending (not requested yet), requested (its job exists or is on its way), then how its job ended:
-- succeeded, failed, cancelled, stopped_early. finished holds a succeeded trial's TrainingFinished (JSON).
CREATE TABLE sweep_trials (
    sweep_id        TEXT             NOT NULL REFERENCES sweeps (sweep_id),
    trial_index     INT              NOT NULL,
    job_id          TEXT             NOT NULL UNIQUE,
    parameters      TEXT             NOT NULL,
    state           TEXT             NOT NULL,
    stop_reason     TEXT,
    best_valid_loss DOUBLE PRECISION,
    finished        TEXT,
    PRIMARY KEY (sweep_id, trial_index)
);

-- Every validation loss of every trial, for the median stopping rule and the choice of the best trial. A retried
-- attempt repeating a step keeps the first value.
CREATE TABLE sweep_validations (
    job_id     TEXT             NOT NULL,
    step       BIGINT           NOT NULL,
    valid_loss DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (job_id, step)
);
