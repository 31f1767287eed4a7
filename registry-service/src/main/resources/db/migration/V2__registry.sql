-- The registry: models, versions with their cards, aliases and their history, tags, lineage, audit log.

-- What the registry learns from other services' events, for lineage and model cards.
CREATE TABLE dataset_uploads (
    seq          BIGSERIAL   PRIMARY KEY,
    project_id   TEXT        NOT NULL,
    dataset_id   TEXT        NOT NULL,
    name         TEXT,
    object_key   TEXT        NOT NULL,
    sha256       TEXT,
    size_bytes   BIGINT,
    append_to    INT,
    uploaded_by  TEXT,
    purpose      TEXT,
    uploaded_at  TIMESTAMPTZ NOT NULL,
    -- dataset-service answers each upload of a dataset with one DatasetReady or DatasetRejected, in order
    outcome      TEXT        CHECK (outcome IN ('ready', 'rejected')),
    version      INT
);
CREATE INDEX dataset_uploads_pending ON dataset_uploads (dataset_id, seq) WHERE outcome IS NULL;
CREATE INDEX dataset_uploads_version ON dataset_uploads (dataset_id, version);

CREATE TABLE dataset_versions (
    dataset_id          TEXT        NOT NULL,
    version             INT         NOT NULL,
    project_id          TEXT        NOT NULL,
    parent_version      INT,
    format              TEXT,
    content_sha256      TEXT        NOT NULL,
    train_key           TEXT,
    train_sha256        TEXT,
    train_examples      BIGINT,
    validation_key      TEXT,
    validation_sha256   TEXT,
    validation_examples BIGINT,
    ready_at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (dataset_id, version)
);

-- A job as TrainingRequested (hyperparameters, who) and TrainingFinished (artifact) describe it.
CREATE TABLE jobs (
    job_id          TEXT        PRIMARY KEY,
    project_id      TEXT        NOT NULL,
    model_name      TEXT,
    base_model      TEXT,
    dataset_id      TEXT,
    dataset_version INT,
    method          TEXT,
    hyperparameters TEXT,
    requested_by    TEXT,
    pipeline_id     TEXT,
    artifact_key    TEXT,
    artifact_sha256 TEXT,
    best_step       BIGINT,
    train_metrics   TEXT,
    requested_at    TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ
);
CREATE INDEX jobs_dataset ON jobs (dataset_id, dataset_version);

-- An evaluation's verdict on a job; the version is registered once the job's TrainingFinished is known too
-- (the two arrive on different topics, in either order). The first verdict on a job is the one that counts.
CREATE TABLE eval_outcomes (
    job_id      TEXT        PRIMARY KEY,
    project_id  TEXT        NOT NULL,
    model_name  TEXT        NOT NULL,
    eval_id     TEXT        NOT NULL,
    passed      BOOLEAN     NOT NULL,
    metrics     TEXT,
    gate        TEXT,
    reason      TEXT,
    report_key  TEXT,
    source      TEXT,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per model name: the row every change of the model locks, and its version counter.
CREATE TABLE models (
    project_id     TEXT        NOT NULL,
    model_name     TEXT        NOT NULL,
    latest_version INT         NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, model_name)
);
INSERT INTO models (project_id, model_name, latest_version)
    SELECT project_id, model_name, max(version) FROM model_versions GROUP BY project_id, model_name;

-- The model card, frozen at registration.
ALTER TABLE model_versions DROP CONSTRAINT model_versions_status_check;
ALTER TABLE model_versions ADD CONSTRAINT model_versions_status_check
    CHECK (status IN ('candidate', 'promoted', 'rejected'));
ALTER TABLE model_versions
    ADD COLUMN artifact_key        TEXT,
    ADD COLUMN artifact_sha256     TEXT,
    ADD COLUMN source_artifact_key TEXT,
    ADD COLUMN base_model          TEXT,
    ADD COLUMN method              TEXT,
    ADD COLUMN hyperparameters     TEXT,
    ADD COLUMN dataset_id          TEXT,
    ADD COLUMN dataset_version     INT,
    ADD COLUMN dataset_sha256      TEXT,
    ADD COLUMN report_key          TEXT,
    ADD COLUMN metrics             TEXT,
    ADD COLUMN gate                TEXT,
    ADD COLUMN reason              TEXT,
    ADD COLUMN requested_by        TEXT,
    ADD COLUMN pipeline_id         TEXT,
    ADD COLUMN registered_by       TEXT;
CREATE INDEX model_versions_dataset ON model_versions (dataset_id, dataset_version);

CREATE TABLE model_tags (
    project_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    version    INT  NOT NULL,
    tag        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (project_id, model_name, version, tag),
    FOREIGN KEY (project_id, model_name, version) REFERENCES model_versions
);

CREATE TABLE aliases (
    project_id TEXT        NOT NULL,
    model_name TEXT        NOT NULL,
    alias      TEXT        NOT NULL,
    version    INT         NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, model_name, alias),
    FOREIGN KEY (project_id, model_name, version) REFERENCES model_versions
);

-- Every move of an alias (version null: the alias was removed); rollback reads the champion's history.
CREATE TABLE alias_history (
    seq              BIGSERIAL   PRIMARY KEY,
    project_id       TEXT        NOT NULL,
    model_name       TEXT        NOT NULL,
    alias            TEXT        NOT NULL,
    version          INT,
    previous_version INT,
    cause            TEXT        NOT NULL CHECK (cause IN ('evaluation', 'promotion', 'rollback')),
    actor            TEXT,
    at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX alias_history_model ON alias_history (project_id, model_name, alias, seq);

-- Append-only: who did what, when, and which event caused it. Never updated, never deleted.
CREATE TABLE audit_log (
    seq        BIGSERIAL   PRIMARY KEY,
    project_id TEXT        NOT NULL,
    model_name TEXT        NOT NULL,
    version    INT,
    action     TEXT        NOT NULL,
    actor      TEXT,
    detail     TEXT,
    event_id   UUID,
    at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_model ON audit_log (project_id, model_name, seq);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
