-- Observations (served prompts and completions, for drift). Not a read model: the gateway owns these rows.

-- The client ids of the observations accepted through POST /api/v1/models/{name}/observations: a re-sent observation
-- finds its id here and is not stored twice. Inserted in the transaction that writes the batch's ObservationsReceived.
CREATE TABLE observation_ids (
    project_id     TEXT        NOT NULL,
    model_name     TEXT        NOT NULL,
    observation_id TEXT        NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, model_name, observation_id)
);

-- A project's setting: false keeps only derived features of an observation (lengths, token counts, JSON validity),
-- never its text.
ALTER TABLE projects ADD COLUMN observations_raw_text BOOLEAN NOT NULL DEFAULT TRUE;
