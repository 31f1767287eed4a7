-- An archived version (ModelArchiveRequested, OpenAI's DELETE /v1/models/{id}) is kept with its artifact and lineage,
-- and is never served nor promoted again.
ALTER TABLE model_versions DROP CONSTRAINT model_versions_status_check;
ALTER TABLE model_versions ADD CONSTRAINT model_versions_status_check
    CHECK (status IN ('candidate', 'promoted', 'rejected', 'archived'));
