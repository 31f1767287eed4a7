-- When what a job left in S3 beyond what its events and rows name was deleted (LeftoverObjects), once the job ended.
-- Jobs that ended before this column are swept too: what they keep is known the same way (the checkpoints table and
-- artifact_key), whichever key layout they were written in.
ALTER TABLE jobs ADD COLUMN objects_swept_at TIMESTAMPTZ;
CREATE INDEX jobs_to_sweep ON jobs (updated_at)
    WHERE objects_swept_at IS NULL AND state IN ('succeeded', 'failed', 'cancelled');
