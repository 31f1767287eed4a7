-- Registered model versions, numbered per (project, model name).
CREATE TABLE model_versions (
    project_id  TEXT        NOT NULL,
    model_name  TEXT        NOT NULL,
    version     INT         NOT NULL,
    job_id      TEXT        NOT NULL UNIQUE,
    eval_id     TEXT        NOT NULL,
    status      TEXT        NOT NULL CHECK (status IN ('candidate', 'rejected')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, model_name, version)
);
