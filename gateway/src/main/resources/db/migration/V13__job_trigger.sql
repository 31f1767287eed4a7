-- Why a pipeline started a job (TrainingRequested.trigger): {"type": "new_data", "dataset_version"} or {"type":
-- "drift", "event_id" (the DriftDetected's), "window_id", "model_version", "metrics"}; null for a user's request.
ALTER TABLE jobs ADD COLUMN trigger JSONB;
