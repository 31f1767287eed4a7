-- The model registry as the gateway knows it from registry-service's events (registry topic, key = model
-- name, so one model's events are in order): ModelRegistered adds a version, ModelPromoted points an alias
-- at one, ModelRolledBack gives champion back. Names are per project. Timestamps come from the events.
CREATE TABLE models (
    project_id     TEXT        NOT NULL,
    model_name     TEXT        NOT NULL,
    latest_version INT,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, model_name)
);
CREATE INDEX models_by_project_page ON models (project_id, created_at, model_name);

CREATE TABLE model_versions (
    project_id      TEXT        NOT NULL,
    model_name      TEXT        NOT NULL,
    version         INT         NOT NULL,
    job_id          TEXT,
    artifact_key    TEXT,
    artifact_sha256 TEXT,
    status          TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, model_name, version)
);
-- Lineage from a dataset version: its jobs' model versions.
CREATE INDEX model_versions_by_job ON model_versions (project_id, job_id);

CREATE TABLE model_aliases (
    project_id       TEXT        NOT NULL,
    model_name       TEXT        NOT NULL,
    alias            TEXT        NOT NULL,
    version          INT         NOT NULL,
    previous_version INT,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, model_name, alias)
);

-- Lineage from a dataset version: the jobs trained on it.
CREATE INDEX jobs_by_dataset_version ON jobs (project_id, dataset_id, dataset_version);
