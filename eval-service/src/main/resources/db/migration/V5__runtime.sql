-- An evaluation runs on the runtime that trained its candidate (TrainingFinished.runtime; djl when the event has none),
-- for the candidate, the base model and the champion alike, so the three are compared under the same numerics; only
-- slots of that runtime claim it. Evaluations recorded before this were all djl's.
ALTER TABLE eval_runs ADD COLUMN runtime TEXT NOT NULL DEFAULT 'djl';

-- Results are cached per runtime: the same subject evaluated by another runtime is another computation.
ALTER TABLE eval_cache ADD COLUMN runtime TEXT NOT NULL DEFAULT 'djl';
ALTER TABLE eval_cache DROP CONSTRAINT eval_cache_pkey;
ALTER TABLE eval_cache ADD PRIMARY KEY (subject, runtime, dataset_id, dataset_version);
