-- How an attempt ended becomes a value of its own, apart from the words for people: the trainer counts crashes
-- towards max-attempts by it (AttemptOutcome), never by the first word of a message. The old text column keeps the
-- words, without that first word; the value is backfilled from it.
ALTER TABLE attempts RENAME COLUMN outcome TO outcome_message;
ALTER TABLE attempts
    ADD COLUMN outcome TEXT CHECK (outcome IN ('SUCCEEDED', 'CANCELLED', 'PAUSED', 'FAILED', 'STOPPED', 'CRASHED',
                                               'LOST'));

UPDATE attempts
SET outcome         = upper(substring(outcome_message FROM '^(succeeded|cancelled|paused|failed|stopped|crashed|lost)')),
    outcome_message = nullif(regexp_replace(outcome_message,
                                            '^(succeeded|cancelled|paused|failed|stopped|crashed|lost)(: )?', ''), '')
WHERE outcome_message IS NOT NULL;

-- An attempt that is over says how; one that runs has no outcome yet.
ALTER TABLE attempts
    ADD CONSTRAINT attempts_ended_with_outcome CHECK ((ended_at IS NULL) = (outcome IS NULL)) NOT VALID;
