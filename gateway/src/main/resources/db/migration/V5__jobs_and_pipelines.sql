-- Fine-tuning jobs as the gateway knows them from TrainingRequested (commands topic) and the Training*
-- events of trainer-service (training topic). The two topics are consumed independently, so every
-- projection is order-independent across them: a request fills the request's columns, training events the
-- state, and created_at/updated_at are the earliest/latest event time seen. Timestamps come from the events.
CREATE TABLE jobs (
    job_id               TEXT             PRIMARY KEY,
    project_id           TEXT             NOT NULL,
    state                TEXT             NOT NULL
        CHECK (state IN ('queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled')),
    base_model           TEXT,
    dataset_id           TEXT,
    dataset_version      INT,
    method               TEXT,
    hyperparameters      JSONB,
    model_name           TEXT,
    priority             INT,
    pipeline_id          TEXT,
    requested_by         TEXT,
    attempt              INT,
    runtime              TEXT,
    slot                 TEXT,
    resumed_from_step    BIGINT,
    retry_reason         TEXT,
    step                 BIGINT,
    total_steps          BIGINT,
    epoch                DOUBLE PRECISION,
    train_loss           DOUBLE PRECISION,
    learning_rate        DOUBLE PRECISION,
    tokens_per_second    DOUBLE PRECISION,
    eta_seconds          BIGINT,
    valid_loss           DOUBLE PRECISION,
    valid_token_accuracy DOUBLE PRECISION,
    last_checkpoint_step BIGINT,
    best_step            BIGINT,
    artifact_key         TEXT,
    artifact_sha256      TEXT,
    metrics              JSONB,
    failure_code         TEXT,
    failure_message      TEXT,
    created_at           TIMESTAMPTZ      NOT NULL,
    updated_at           TIMESTAMPTZ      NOT NULL,
    started_at           TIMESTAMPTZ,
    finished_at          TIMESTAMPTZ
);
CREATE INDEX jobs_by_project_page ON jobs (project_id, created_at, job_id);

-- Every TrainingProgress point, for loss curves. A retried attempt repeats the steps after its checkpoint.
CREATE TABLE job_metrics (
    job_id               TEXT             NOT NULL,
    attempt              INT              NOT NULL,
    step                 BIGINT           NOT NULL,
    project_id           TEXT             NOT NULL,
    total_steps          BIGINT           NOT NULL,
    epoch                DOUBLE PRECISION NOT NULL,
    train_loss           DOUBLE PRECISION NOT NULL,
    learning_rate        DOUBLE PRECISION NOT NULL,
    tokens_per_second    DOUBLE PRECISION NOT NULL,
    valid_loss           DOUBLE PRECISION,
    valid_token_accuracy DOUBLE PRECISION,
    recorded_at          TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (job_id, attempt, step)
);

CREATE TABLE job_checkpoints (
    job_id      TEXT        NOT NULL,
    step        BIGINT      NOT NULL,
    project_id  TEXT        NOT NULL,
    object_key  TEXT        NOT NULL,
    sha256      TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_id, step)
);

-- Retraining pipelines: every PipelineConfigured carries the full configuration and its status.
CREATE TABLE pipelines (
    pipeline_id     TEXT        PRIMARY KEY,
    project_id      TEXT        NOT NULL,
    dataset_id      TEXT        NOT NULL,
    base_model      TEXT        NOT NULL,
    model_name      TEXT,
    method          TEXT,
    hyperparameters JSONB,
    gate            JSONB,
    triggers        JSONB,
    status          TEXT        NOT NULL CHECK (status IN ('active', 'paused', 'deleted')),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX pipelines_by_project_page ON pipelines (project_id, created_at, pipeline_id);

-- One job's events (GET /api/v1/jobs/{id}/events): the subject is the job id.
CREATE INDEX events_by_subject ON events (project_id, subject, seq);
