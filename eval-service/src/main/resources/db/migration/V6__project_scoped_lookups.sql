-- Tenancy: a dataset version and cached results belong to one project, and are only ever looked up within it (a
-- gate's forgetting set, a run's held-out split, the results cache). Dataset ids are not trusted to be unique across
-- projects: another project's DatasetReady with the same id is its own row, not dropped as a conflict.
ALTER TABLE dataset_versions DROP CONSTRAINT dataset_versions_pkey;
ALTER TABLE dataset_versions ADD PRIMARY KEY (project_id, dataset_id, version);

-- Cached results of the same subject and dataset id in two projects are two entries. Existing rows keep their meaning:
-- their results were written under their project's prefix (projects/{p}/eval/cache/...), which names the project. A
-- row whose key names none cannot be attributed and is dropped; it is only a cache, computed again when needed.
ALTER TABLE eval_cache ADD COLUMN project_id TEXT;
UPDATE eval_cache SET project_id = split_part(results_key, '/', 2) WHERE results_key LIKE 'projects/_%/%';
DELETE FROM eval_cache WHERE project_id IS NULL OR project_id = '';
ALTER TABLE eval_cache ALTER COLUMN project_id SET NOT NULL;
ALTER TABLE eval_cache DROP CONSTRAINT eval_cache_pkey;
ALTER TABLE eval_cache ADD PRIMARY KEY (project_id, subject, runtime, dataset_id, dataset_version);
