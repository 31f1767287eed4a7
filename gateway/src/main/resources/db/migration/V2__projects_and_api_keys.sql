-- Tenants and who may act in them. The project created at first start (tuneforge.bootstrap-project)
-- also holds the platform admin key: an admin key of that project may create and see every project.
CREATE TABLE projects (
    project_id  TEXT        PRIMARY KEY,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- API keys: only the SHA-256 of the secret is kept; the secret is shown once, at creation or rotation.
CREATE TABLE api_keys (
    key_id       TEXT        PRIMARY KEY,
    project_id   TEXT        NOT NULL REFERENCES projects (project_id),
    name         TEXT        NOT NULL,
    role         TEXT        NOT NULL CHECK (role IN ('admin', 'member', 'read-only')),
    secret_hash  TEXT        NOT NULL UNIQUE,
    -- The first characters of the secret, so people can tell their keys apart.
    secret_hint  TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    rotated_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_keys_by_project ON api_keys (project_id, created_at, key_id);
