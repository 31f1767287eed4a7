-- Running evaluations: claim with a lease, results cached per subject and dataset version, outcome.
ALTER TABLE eval_runs
    ADD COLUMN artifact_sha256  TEXT,
    ADD COLUMN method           TEXT,
    ADD COLUMN pipeline_id      TEXT,
    ADD COLUMN train_metrics    TEXT,            -- TrainingFinished.metrics (JSON): the overfitting signal
    ADD COLUMN owner            TEXT,
    ADD COLUMN lease_expires_at TIMESTAMPTZ,
    ADD COLUMN attempts         INT  NOT NULL DEFAULT 0,
    ADD COLUMN reason           TEXT,
    ADD COLUMN metrics          TEXT,            -- the candidate's metrics (JSON)
    ADD COLUMN report_key       TEXT,
    ADD COLUMN finished_at      TIMESTAMPTZ;

-- Held-out data: the validation split of each ready dataset version (from DatasetReady).
CREATE TABLE dataset_versions (
    dataset_id     TEXT   NOT NULL,
    version        INT    NOT NULL,
    project_id     TEXT   NOT NULL,
    validation_key TEXT,
    validation_examples BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, version)
);

-- Registered model versions and the champion alias (from the registry's events).
CREATE TABLE model_versions (
    project_id   TEXT NOT NULL,
    model_name   TEXT NOT NULL,
    version      INT  NOT NULL,
    job_id       TEXT,
    artifact_key TEXT NOT NULL,
    PRIMARY KEY (project_id, model_name, version)
);
CREATE TABLE champions (
    project_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    version    INT  NOT NULL,
    PRIMARY KEY (project_id, model_name)
);

-- Gates by pipeline (from PipelineConfigured).
CREATE TABLE pipeline_gates (
    pipeline_id TEXT PRIMARY KEY,
    gate        TEXT NOT NULL
);

-- Per-example results of one subject (a base model, or an artifact) on one dataset version: computed once.
CREATE TABLE eval_cache (
    subject         TEXT        NOT NULL,
    dataset_id      TEXT        NOT NULL,
    dataset_version INT         NOT NULL,
    results_key     TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, dataset_id, dataset_version)
);
