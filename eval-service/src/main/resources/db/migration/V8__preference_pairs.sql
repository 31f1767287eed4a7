-- Preference pairs (DPO): a dataset version's format (DatasetReady.format; null for versions recorded before this
-- column, read as chat), so the worker evaluates its held-out pairs as pairs; and each job's requested
-- hyperparameters (TrainingRequested, on the commands topic), for the DPO beta of its reward margin.
ALTER TABLE dataset_versions ADD COLUMN format TEXT;
CREATE TABLE job_requests (
    job_id          TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    method          TEXT,
    hyperparameters TEXT NOT NULL
);
