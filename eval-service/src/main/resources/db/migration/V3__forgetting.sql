-- A general-purpose set for the forgetting check may be any dataset version: keep its training file too.
ALTER TABLE dataset_versions ADD COLUMN train_key TEXT;
