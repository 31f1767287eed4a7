-- The jobs a pipeline started, one per dataset version at most: a DatasetReady seen again (even as a new
-- event, e.g. re-published) never starts a second job.
CREATE TABLE pipeline_runs (
    pipeline_id     TEXT        NOT NULL,
    dataset_id      TEXT        NOT NULL,
    dataset_version INT         NOT NULL,
    job_id          TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline_id, dataset_id, dataset_version)
);
