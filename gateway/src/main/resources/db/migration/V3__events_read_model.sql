-- Every public event the gateway consumed, once (unique ce_id). seq is the gateway's own global order:
-- the SSE event id and the cursor of GET /api/v1/events. Projection transactions take an advisory lock
-- before inserting, so seq order is commit order and a reader never skips a row that commits later.
CREATE TABLE events (
    seq         BIGSERIAL   PRIMARY KEY,
    event_id    UUID        NOT NULL UNIQUE,
    project_id  TEXT        NOT NULL,
    type        TEXT        NOT NULL,
    source      TEXT,
    subject     TEXT        NOT NULL,
    topic       TEXT        NOT NULL,
    event_time  TIMESTAMPTZ,
    payload     JSONB       NOT NULL
);
CREATE INDEX events_by_project ON events (project_id, seq);

-- Datasets take their timestamps from the events (not now()), so a rebuild writes identical rows.
ALTER TABLE datasets ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE datasets ALTER COLUMN updated_at DROP DEFAULT;
CREATE INDEX datasets_by_project_page ON datasets (project_id, created_at, dataset_id);
