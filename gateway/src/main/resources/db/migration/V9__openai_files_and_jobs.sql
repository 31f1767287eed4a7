-- The OpenAI-compatible surface (/v1/files, /v1/fine_tuning/jobs). Not a read model: the gateway owns these rows
-- (a rebuild of the read model leaves them alone).

-- A file uploaded through /v1/files, kept in S3 under projects/{project}/files/{file_id}. It becomes a dataset only
-- when a job trains on it (a copy of it is then uploaded as a dataset, see openai_jobs.dataset_id).
CREATE TABLE openai_files (
    file_id    TEXT        PRIMARY KEY,
    project_id TEXT        NOT NULL,
    filename   TEXT        NOT NULL,
    purpose    TEXT        NOT NULL,
    bytes      BIGINT      NOT NULL,
    sha256     TEXT        NOT NULL,
    object_key TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX openai_files_by_project_page ON openai_files (project_id, created_at, file_id);

-- A job created through /v1/fine_tuning/jobs: what OpenAI's job object has and tuneforge's job does not (the files,
-- suffix, seed, metadata, integrations, the hyperparameters as asked), and, until its dataset is ready, the request
-- itself. state: validating_files (its dataset is being validated; no TrainingRequested yet), requested
-- (TrainingRequested is in the outbox: from then on the jobs read model has the job), failed (the files were
-- rejected: error_* say why), cancelled (before its files were validated); failed and cancelled jobs never reach
-- trainer-service.
CREATE TABLE openai_jobs (
    job_id           TEXT        PRIMARY KEY,
    project_id       TEXT        NOT NULL,
    state            TEXT        NOT NULL CHECK (state IN ('validating_files', 'requested', 'failed', 'cancelled')),
    model            TEXT        NOT NULL,
    training_file    TEXT        NOT NULL,
    validation_file  TEXT,
    dataset_id       TEXT        NOT NULL,
    suffix           TEXT,
    seed             BIGINT,
    metadata         JSONB,
    integrations     JSONB,
    method           JSONB       NOT NULL,
    request          JSONB       NOT NULL,
    requested_by     TEXT        NOT NULL,
    error_code       TEXT,
    error_message    TEXT,
    error_param      TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX openai_jobs_by_project_page ON openai_jobs (project_id, created_at, job_id);
CREATE INDEX openai_jobs_waiting_for_dataset ON openai_jobs (dataset_id) WHERE state = 'validating_files';
