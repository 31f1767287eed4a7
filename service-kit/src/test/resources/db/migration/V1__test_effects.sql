CREATE TABLE test_effects (
    event_id   UUID PRIMARY KEY,
    dataset_id TEXT NOT NULL,
    name       TEXT NOT NULL
);
