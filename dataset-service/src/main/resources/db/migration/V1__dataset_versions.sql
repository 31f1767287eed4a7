-- One row per accepted or rejected upload of a dataset.
CREATE TABLE dataset_versions (
    dataset_id     TEXT        NOT NULL,
    version        INT         NOT NULL,
    project_id     TEXT        NOT NULL,
    status         TEXT        NOT NULL CHECK (status IN ('ready', 'rejected')),
    object_key     TEXT        NOT NULL,
    content_sha256 TEXT        NOT NULL,
    examples       BIGINT      NOT NULL,
    reason         TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (dataset_id, version)
);
