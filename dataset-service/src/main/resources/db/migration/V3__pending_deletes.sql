-- Objects to delete from S3, recorded in the transaction that decided it (a rejected upload, an upload whose content
-- is already a version), so the decision and the delete commit together. PendingDeleteSweeper deletes each and
-- removes its row only once S3 has confirmed; a failed try is retried at next_attempt_at, never dropped, so a crash
-- or an S3 outage at commit time leaves no orphan. The key is the whole identity: S3's delete is idempotent.
CREATE TABLE pending_deletes (
    object_key      TEXT        PRIMARY KEY,
    reason          TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts        INT         NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error      TEXT
);

CREATE INDEX pending_deletes_due ON pending_deletes (next_attempt_at);
