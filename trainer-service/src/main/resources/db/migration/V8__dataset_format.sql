-- The dataset version's format (DatasetReady.format): a dpo job needs preference pairs, and the other methods are
-- refused them. Null for versions recorded before this column (nothing is refused on a format not known).
ALTER TABLE dataset_versions ADD COLUMN format TEXT;
