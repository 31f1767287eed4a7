-- One evaluation per finished training job (candidate vs base vs champion).
CREATE TABLE eval_runs (
    eval_id       TEXT        PRIMARY KEY,
    project_id    TEXT        NOT NULL,
    job_id        TEXT        NOT NULL UNIQUE,
    model_name    TEXT        NOT NULL,
    base_model    TEXT        NOT NULL,
    dataset_id    TEXT        NOT NULL,
    dataset_version INT       NOT NULL,
    artifact_key  TEXT        NOT NULL,
    status        TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
