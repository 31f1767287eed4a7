-- Drift monitoring (issue #17 §3). A model version's baseline is made from the dataset version it was trained on
-- (ModelRegistered.datasetId/datasetVersion; null for versions registered before these columns: not measured).
ALTER TABLE model_versions ADD COLUMN dataset_id TEXT;
ALTER TABLE model_versions ADD COLUMN dataset_version INT;

-- A pipeline's model and triggers (its drift_window and drift_thresholds), so a model's window finds its pipeline.
-- Null for pipelines configured before these columns (until their next PipelineConfigured).
ALTER TABLE pipeline_gates ADD COLUMN project_id TEXT;
ALTER TABLE pipeline_gates ADD COLUMN model_name TEXT;
ALTER TABLE pipeline_gates ADD COLUMN triggers TEXT;
ALTER TABLE pipeline_gates ADD COLUMN status TEXT;
ALTER TABLE pipeline_gates ADD COLUMN configured_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE INDEX pipeline_gates_by_model ON pipeline_gates (project_id, model_name);

-- Every observation object (ObservationsReceived.objectKey) of a measured model version, once: a redelivered batch
-- finds its row. window_id is null while the batch waits in its version's open window.
CREATE TABLE drift_batches (
    project_id    TEXT        NOT NULL,
    model_name    TEXT        NOT NULL,
    model_version INT         NOT NULL,
    object_key    TEXT        NOT NULL,
    observations  BIGINT      NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    window_id     TEXT,
    PRIMARY KEY (project_id, model_name, model_version, object_key)
);
CREATE INDEX drift_batches_open ON drift_batches (project_id, model_name, model_version, received_at)
    WHERE window_id IS NULL;

-- Closed windows: one row per window id (deterministic), written with its DriftMeasured.
CREATE TABLE drift_windows (
    window_id     TEXT        PRIMARY KEY,
    project_id    TEXT        NOT NULL,
    model_name    TEXT        NOT NULL,
    model_version INT         NOT NULL,
    window_start  TIMESTAMPTZ NOT NULL,
    window_end    TIMESTAMPTZ NOT NULL,
    observations  BIGINT      NOT NULL,
    report_key    TEXT,
    detected      TEXT        NOT NULL,   -- JSON array of the metrics whose episode this window opened
    closed_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- DriftEpisodes' state per model version and metric.
CREATE TABLE drift_episodes (
    project_id    TEXT    NOT NULL,
    model_name    TEXT    NOT NULL,
    model_version INT     NOT NULL,
    metric        TEXT    NOT NULL,
    open          BOOLEAN NOT NULL,
    clean_windows INT     NOT NULL,
    PRIMARY KEY (project_id, model_name, model_version, metric)
);
