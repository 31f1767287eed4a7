-- Drift windows of model versions, from eval-service's DriftMeasured and DriftDetected (monitoring topic). One row per
-- window, whichever of the two arrives first; detected is set by DriftDetected (null: the window opened no episode).
-- The report (metrics plus reference and current distributions) stays in S3 at report_key.
CREATE TABLE drift_windows (
    project_id    TEXT        NOT NULL,
    model_name    TEXT        NOT NULL,
    model_version INT         NOT NULL,
    window_id     TEXT        NOT NULL,
    window_start  TIMESTAMPTZ,
    window_end    TIMESTAMPTZ,
    observations  BIGINT      NOT NULL,
    metrics       JSONB       NOT NULL,
    detected      JSONB,
    report_key    TEXT,
    measured_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, model_name, model_version, window_id)
);
CREATE INDEX drift_windows_by_time ON drift_windows (project_id, model_name, model_version, window_end);
