-- A champion is evaluated as it was trained: its own base model and method (from ModelRegistered), not the
-- candidate's. Null for versions registered before this column (the candidate's are used then).
ALTER TABLE model_versions ADD COLUMN base_model TEXT;
ALTER TABLE model_versions ADD COLUMN method TEXT;

-- A run waiting for its dataset version's DatasetReady is not claimed again before this, so it does not hold up
-- the runs behind it.
ALTER TABLE eval_runs ADD COLUMN not_before TIMESTAMPTZ;
