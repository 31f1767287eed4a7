-- A third purpose: a review set, a drifted window's prompts with the served answers as drafts for people to correct
-- (a pipeline's on_drift export_review, issue #17 §4). Stored like a training set; it registers no evaluation prompts.
ALTER TABLE datasets DROP CONSTRAINT datasets_purpose_check;
ALTER TABLE datasets ADD CONSTRAINT datasets_purpose_check CHECK (purpose IN ('training', 'evaluation', 'review'));
