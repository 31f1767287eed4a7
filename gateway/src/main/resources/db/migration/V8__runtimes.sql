-- A pipeline's jobs train on its runtime (PipelineConfigured.runtime; null: trainer-service's default). Jobs already
-- had a runtime column, from TrainingStarted; the request now fills it too when it names one.
ALTER TABLE pipelines ADD COLUMN runtime TEXT;
