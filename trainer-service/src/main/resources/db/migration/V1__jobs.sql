-- Training jobs. States: validating → queued → running → succeeded | failed | cancelled (+ paused).
CREATE TABLE jobs (
    job_id          TEXT        PRIMARY KEY,
    project_id      TEXT        NOT NULL,
    state           TEXT        NOT NULL,
    base_model      TEXT        NOT NULL,
    dataset_id      TEXT        NOT NULL,
    dataset_version INT         NOT NULL,
    method          TEXT        NOT NULL,
    hyperparameters TEXT        NOT NULL,
    model_name      TEXT,
    pipeline_id     TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
