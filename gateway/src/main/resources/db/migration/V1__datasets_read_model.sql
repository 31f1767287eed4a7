-- Read model: datasets as the gateway knows them from its own commands and the events it consumes.
CREATE TABLE datasets (
    dataset_id  TEXT        PRIMARY KEY,
    project_id  TEXT        NOT NULL,
    name        TEXT        NOT NULL,
    format      TEXT,
    status      TEXT        NOT NULL CHECK (status IN ('validating', 'ready', 'rejected')),
    object_key  TEXT        NOT NULL,
    sha256      TEXT        NOT NULL,
    size_bytes  BIGINT      NOT NULL,
    version     INT,
    examples    BIGINT,
    reason      TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX datasets_by_project ON datasets (project_id, created_at);
