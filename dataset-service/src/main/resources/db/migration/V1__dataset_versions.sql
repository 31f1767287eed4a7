-- A dataset is a named series of versions; its format is fixed by the first version.
CREATE TABLE datasets (
    dataset_id TEXT        PRIMARY KEY,
    project_id TEXT        NOT NULL,
    name       TEXT        NOT NULL,
    format     TEXT        NOT NULL,
    purpose    TEXT        NOT NULL CHECK (purpose IN ('training', 'evaluation')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Accepted versions only: a rejected upload leaves no row. A version is identified by its content
-- (content_sha256), so uploading identical content again gives the same version.
CREATE TABLE dataset_versions (
    dataset_id          TEXT        NOT NULL REFERENCES datasets (dataset_id),
    version             INT         NOT NULL,
    project_id          TEXT        NOT NULL,
    parent_version      INT,
    content_sha256      TEXT        NOT NULL,
    upload_key          TEXT        NOT NULL,
    upload_sha256       TEXT        NOT NULL,
    train_key           TEXT        NOT NULL,
    train_sha256        TEXT        NOT NULL,
    train_examples      BIGINT      NOT NULL,
    validation_key      TEXT        NOT NULL,
    validation_sha256   TEXT        NOT NULL,
    validation_examples BIGINT      NOT NULL,
    new_examples        BIGINT      NOT NULL,
    report              TEXT        NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (dataset_id, version),
    UNIQUE (dataset_id, content_sha256)
);

-- Prompts of evaluation sets (datasets uploaded with purpose=evaluation), as 64-bit hashes of their
-- normalised text: training datasets of the project never contain them (decontamination).
CREATE TABLE evaluation_prompts (
    project_id  TEXT   NOT NULL,
    prompt_hash BIGINT NOT NULL,
    dataset_id  TEXT   NOT NULL,
    PRIMARY KEY (project_id, prompt_hash, dataset_id)
);
