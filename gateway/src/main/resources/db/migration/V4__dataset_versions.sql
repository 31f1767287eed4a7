-- What dataset-service said about the last upload of each dataset, and every accepted version.
ALTER TABLE datasets ADD COLUMN purpose TEXT;
ALTER TABLE datasets ADD COLUMN report JSONB;

CREATE TABLE dataset_versions (
    dataset_id          TEXT        NOT NULL,
    version             INT         NOT NULL,
    project_id          TEXT        NOT NULL,
    parent_version      INT,
    content_sha256      TEXT        NOT NULL,
    train_key           TEXT        NOT NULL,
    train_sha256        TEXT        NOT NULL,
    train_examples      BIGINT      NOT NULL,
    validation_key      TEXT,
    validation_sha256   TEXT,
    validation_examples BIGINT      NOT NULL,
    new_examples        BIGINT      NOT NULL,
    token_stats         JSONB,
    report              JSONB,
    created_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (dataset_id, version)
);
CREATE INDEX dataset_versions_by_project ON dataset_versions (project_id, dataset_id, version);
