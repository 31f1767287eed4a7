-- Scheduling, attempts, checkpoints, the trainer's view of dataset versions, and pipelines.

ALTER TABLE jobs
    ADD COLUMN priority             INT         NOT NULL DEFAULT 0,
    ADD COLUMN requested_by         TEXT,
    ADD COLUMN recipe               TEXT,            -- resolved hyperparameters (JSON), set when validated
    ADD COLUMN total_steps          BIGINT,
    ADD COLUMN attempt              INT         NOT NULL DEFAULT 0,
    ADD COLUMN lease_owner          TEXT,            -- the trainer instance running it
    ADD COLUMN lease_expires_at     TIMESTAMPTZ,
    ADD COLUMN slot                 TEXT,
    ADD COLUMN runtime              TEXT,
    ADD COLUMN cancel_requested     BOOLEAN     NOT NULL DEFAULT false,
    ADD COLUMN pause_requested      BOOLEAN     NOT NULL DEFAULT false,
    ADD COLUMN last_checkpoint_step BIGINT,
    ADD COLUMN last_checkpoint_key  TEXT,
    ADD COLUMN retry_reason         TEXT,            -- why the last attempt ended, for the next one's event
    ADD COLUMN failure_code         TEXT,
    ADD COLUMN failure_message      TEXT,
    ADD COLUMN artifact_key         TEXT,
    ADD COLUMN artifact_sha256      TEXT;

CREATE INDEX jobs_schedulable ON jobs (state, priority DESC, created_at);

-- One row per worker launch. pid/host identify a local worker so a restarted instance can stop an orphan.
CREATE TABLE attempts (
    job_id      TEXT        NOT NULL REFERENCES jobs (job_id),
    attempt     INT         NOT NULL,
    owner       TEXT        NOT NULL,
    slot        TEXT        NOT NULL,
    runtime     TEXT        NOT NULL,
    workdir     TEXT        NOT NULL,
    host        TEXT        NOT NULL,
    pid         BIGINT,
    resumed_from_step BIGINT,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at    TIMESTAMPTZ,
    exit_code   INT,
    outcome     TEXT,            -- e.g. "worker exited with 137 (killed by signal 9)"
    PRIMARY KEY (job_id, attempt)
);

CREATE TABLE checkpoints (
    job_id     TEXT        NOT NULL REFERENCES jobs (job_id),
    step       BIGINT      NOT NULL,
    attempt    INT         NOT NULL,
    object_key TEXT        NOT NULL,
    sha256     TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, step)
);

-- What the trainer knows of dataset versions, from DatasetReady: the files a job trains on.
CREATE TABLE dataset_versions (
    dataset_id          TEXT   NOT NULL,
    version             INT    NOT NULL,
    project_id          TEXT   NOT NULL,
    parent_version      INT,
    train_key           TEXT   NOT NULL,
    train_sha256        TEXT   NOT NULL,
    train_examples      BIGINT NOT NULL,
    validation_key      TEXT,
    validation_examples BIGINT NOT NULL,
    new_examples        BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, version)
);

CREATE TABLE pipelines (
    pipeline_id       TEXT        PRIMARY KEY,
    project_id        TEXT        NOT NULL,
    dataset_id        TEXT        NOT NULL,
    base_model        TEXT        NOT NULL,
    model_name        TEXT,
    method            TEXT        NOT NULL,
    hyperparameters   TEXT        NOT NULL,
    min_new_examples  BIGINT,
    cooldown_seconds  BIGINT      NOT NULL DEFAULT 0,
    status            TEXT        NOT NULL,
    last_triggered_at TIMESTAMPTZ,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX pipelines_by_dataset ON pipelines (dataset_id, status);
