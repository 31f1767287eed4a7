-- A pipeline's on_drift trigger (issue #17 §4): as configured (the gateway checked it), and when it last acted, for
-- its own cooldown (apart from the new-data trigger's last_triggered_at).
ALTER TABLE pipelines ADD COLUMN on_drift JSONB;
ALTER TABLE pipelines ADD COLUMN drift_cooldown_seconds BIGINT;
ALTER TABLE pipelines ADD COLUMN last_drift_at TIMESTAMPTZ;

-- What each on_drift action of a pipeline did about one DriftDetected, with its cause: the audit trail of the
-- closed loop. One row per (pipeline, event, action) at most, so a DriftDetected delivered again (or re-published
-- with its id) starts no second job and writes no second dataset.
CREATE TABLE pipeline_drift_actions (
    pipeline_id   TEXT        NOT NULL,
    event_id      UUID        NOT NULL,
    action        TEXT        NOT NULL CHECK (action IN ('retrain', 'export_review')),
    model_name    TEXT        NOT NULL,
    model_version INT         NOT NULL,
    window_id     TEXT,
    metrics       JSONB       NOT NULL,
    outcome       TEXT        NOT NULL CHECK (outcome IN ('job', 'dataset', 'skipped')),
    skip_reason   TEXT        CHECK (skip_reason IN ('cooldown', 'paused', 'no_text', 'no_dataset_version')),
    job_id        TEXT,
    dataset_id    TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline_id, event_id, action),
    CHECK ((outcome = 'skipped') = (skip_reason IS NOT NULL))
);
