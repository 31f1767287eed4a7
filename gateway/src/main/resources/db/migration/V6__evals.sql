-- Evaluations of finished jobs, from eval-service's EvalPassed/EvalFailed (eval topic). The full report
-- (every subject's metrics with intervals, the gate's rule results) stays in S3 at report_key.
CREATE TABLE evals (
    eval_id     TEXT        PRIMARY KEY,
    project_id  TEXT        NOT NULL,
    job_id      TEXT        NOT NULL,
    model_name  TEXT,
    passed      BOOLEAN     NOT NULL,
    metrics     JSONB,
    gate        TEXT,
    reason      TEXT,
    report_key  TEXT,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX evals_by_project_page ON evals (project_id, created_at, eval_id);
CREATE INDEX evals_by_job ON evals (project_id, job_id, created_at);
