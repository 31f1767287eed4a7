-- When what an evaluation's claims wrote under projects/{p}/eval/{eval_id}/ beyond the report its outcome names was
-- deleted (LeftoverObjects), once it ended. Evaluations that ended before this column are swept too: what they keep
-- is report_key either way.
ALTER TABLE eval_runs ADD COLUMN objects_swept_at TIMESTAMPTZ;
CREATE INDEX eval_runs_to_sweep ON eval_runs (finished_at)
    WHERE objects_swept_at IS NULL AND status IN ('passed', 'failed');
