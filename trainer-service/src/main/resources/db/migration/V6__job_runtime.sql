-- A job asks for its runtime (TrainingRequested.runtime, else tuneforge.trainer.default-runtime) and only slots of that
-- runtime claim it, every attempt, so a retry resumes a checkpoint on the runtime that wrote it. Until now the column
-- held the runtime of the slot that claimed the job, and jobs not claimed yet had none: they asked for nothing, which
-- meant djl, the default then.
UPDATE jobs SET runtime = 'djl' WHERE runtime IS NULL;
ALTER TABLE jobs ALTER COLUMN runtime SET NOT NULL;

-- A pipeline's jobs run on its runtime; null: the default when each job arrives.
ALTER TABLE pipelines ADD COLUMN runtime TEXT;
