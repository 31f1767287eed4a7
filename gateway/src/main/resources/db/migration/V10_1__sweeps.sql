-- Hyperparameter sweeps (SweepRequested on the commands topic, SweepFinished on the training topic) and, on jobs, the
-- sweep a job is a trial of (TrainingRequested.sweep_id / sweep_trial) and whether the sweep stopped it early
-- (TrainingCancelled.stopped_early / reason). Numbered 10.1 so that it merges after any V10 of a parallel change.
CREATE TABLE sweeps (
    sweep_id        TEXT        PRIMARY KEY,
    project_id      TEXT        NOT NULL,
    status          TEXT        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    base_model      TEXT,
    dataset_id      TEXT,
    dataset_version INT,
    method          TEXT,
    hyperparameters JSONB,
    search_space    JSON,  -- json, not jsonb: the parameters' order is the trials' order (jsonb reorders keys)
    strategy        TEXT,
    max_trials      INT,
    parallelism     INT,
    seed            BIGINT,
    median_stop     JSONB,
    model_name      TEXT,
    runtime         TEXT,
    gate            JSONB,
    requested_by    TEXT,
    reason          TEXT,
    best_job_id     TEXT,
    trials          JSONB,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ
);
CREATE INDEX sweeps_by_project_page ON sweeps (project_id, created_at, sweep_id);

ALTER TABLE jobs ADD COLUMN sweep_id TEXT;
ALTER TABLE jobs ADD COLUMN sweep_trial INT;
ALTER TABLE jobs ADD COLUMN stopped_early BOOLEAN;
ALTER TABLE jobs ADD COLUMN stop_reason TEXT;
CREATE INDEX jobs_by_sweep ON jobs (sweep_id) WHERE sweep_id IS NOT NULL;
