-- What an attempt has reported. A Kubernetes Job re-adopted by another instance replays its log from the start;
-- these let its TrainingStarted and progress events go out once.
ALTER TABLE attempts
    ADD COLUMN started_reported   BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN last_progress_step BIGINT,
    ADD COLUMN last_eval_step     BIGINT;
