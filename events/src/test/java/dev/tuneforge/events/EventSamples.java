package dev.tuneforge.events;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One realistic instance of every event type. */
final class EventSamples {

    static final String PROJECT = "prj_1";

    private EventSamples() {
    }

    static List<TuneforgeEvent> all() {
        Instant start = Instant.parse("2026-11-01T00:00:00Z");
        Instant end = Instant.parse("2026-11-01T01:00:00Z");
        return List.of(
                new DatasetUploaded(PROJECT, "ds_1", "support-chats", "chat", "projects/prj_1/uploads/u1.jsonl",
                        "ab12", 1024, null, "tiny-llama", "key_1", "training", null),
                new DatasetReady(PROJECT, "ds_1", 2, 1, "chat", "c0ffee",
                        "projects/prj_1/datasets/ds_1/v2/train.jsonl", "aa", 900,
                        "projects/prj_1/datasets/ds_1/v2/validation.jsonl", "bb", 100, 250,
                        new TokenStats(12, 80, 300, 512, 91_000, 3), "projects/prj_1/datasets/ds_1/v2/report.json",
                        new DatasetReport("chat", 1002, 1000, List.of(),
                                List.of(new DatasetReport.Finding("duplicate_example", "exact duplicate", 2,
                                        List.of(17L, 230L))),
                                new TokenStats(12, 80, 300, 512, 91_000, 3), 91_000, null)),
                new DatasetRejected(PROJECT, "ds_2", "invalid_json: 3 (first lines [4, 9, 17])", 3, null,
                        new DatasetReport(null, 20, 0, List.of(new DatasetReport.Finding("invalid_json",
                                "line is not valid JSON", 3, List.of(4L, 9L, 17L))), List.of(), null, 0, null)),
                new TrainingRequested(PROJECT, "job_1", "tiny-llama", "ds_1", 2, "lora",
                        Map.of("epochs", 3, "learning_rate", 2.0e-4, "lora_r", 8), "support-bot", "key_1", null, 5,
                        "torch"),
                new TrainingRequested(PROJECT, "job_2", "tiny-llama", "ds_1", 3, "lora", Map.of("epochs", 3),
                        "support-bot", "pipeline:pl_1", "pl_1", null, null, null, null,
                        Map.of("type", "drift", "event_id", "evt_9", "window_id", "dw_2", "model_version", 3,
                                "metrics", List.of("prompt_length_psi"))),
                new TrainingCancelRequested(PROJECT, "job_1", "key_1"),
                new TrainingPauseRequested(PROJECT, "job_1", "key_1"),
                new TrainingResumeRequested(PROJECT, "job_1", "key_1"),
                new TrainingStarted(PROJECT, "job_1", 2, "djl", "cpu-0", 100,
                        "worker exited with 137 (killed by signal 9)"),
                new TrainingProgress(PROJECT, "job_1", 40, 300, 0.4, 1.83, 1.9e-4, 2150.5, 95L, null, null, 1),
                new TrainingPaused(PROJECT, "job_1", 100L),
                new TrainingResumed(PROJECT, "job_1", 100L),
                new CheckpointSaved(PROJECT, "job_1", 100, "projects/prj_1/jobs/job_1/checkpoints/step-100/", "cc"),
                new TrainingFinished(PROJECT, "job_1", "support-bot", "tiny-llama", "ds_1", 2, "lora",
                        "projects/prj_1/jobs/job_1/output/adapter/", "dd", 250,
                        Map.of("train_loss", 0.41, "valid_loss", 0.52), null, "torch"),
                new TrainingFailed(PROJECT, "job_2", "out_of_resources", "CUDA out of memory at step 12", 3),
                new TrainingCancelled(PROJECT, "job_3", 100L),
                new SweepRequested(PROJECT, "swp_1", "tiny-llama", "ds_1", 2, "lora", Map.of("max_steps", 100),
                        Map.of("learning_rate", List.of(1.0e-4, 3.0e-4), "lora_r", Map.of("min", 4, "max", 16)),
                        "random", 4, 2, 7L, new SweepRequested.MedianStop(1, 1), "support-bot", "key_1", "djl",
                        Map.of("exact_match_min", 0.8)),
                new SweepFinished(PROJECT, "swp_1", "support-bot", "succeeded", null, "job_5",
                        new TrainingFinished(PROJECT, "job_5", "support-bot", "tiny-llama", "ds_1", 2, "lora",
                                "projects/prj_1/jobs/job_5/attempt-1/output/adapter/", "ee", 100,
                                Map.of("train_loss", 0.3), null, "djl", "swp_1"),
                        List.of(new SweepFinished.Trial(0, "job_5", Map.of("learning_rate", 3.0e-4), "succeeded", 0.41,
                                        null),
                                new SweepFinished.Trial(1, "job_6", Map.of("learning_rate", 1.0e-4), "stopped_early",
                                        0.9, "best valid loss 0.9 > median 0.41 at step 20")),
                        null),
                new EvalPassed(PROJECT, "ev_1", "job_1", "support-bot", Map.of("exact_match", 0.93),
                        "exact_match >= 0.8", "projects/prj_1/models/support-bot/v1/eval/ev_1/report.json"),
                new EvalFailed(PROJECT, "ev_2", "job_4", "support-bot", Map.of("exact_match", 0.41),
                        "exact_match >= 0.8", "exact_match 0.41 < 0.8", "projects/prj_1/eval/ev_2/report.json"),
                new PromotionRequested(PROJECT, "support-bot", 3, "champion", "key_1"),
                new RollbackRequested(PROJECT, "support-bot", "key_1", 3),
                new ModelArchiveRequested(PROJECT, "support-bot", 2, "key_1"),
                new ModelArchived(PROJECT, "support-bot", 2, "key_1"),
                new ModelRegistered(PROJECT, "support-bot", 3, "job_1", "projects/prj_1/models/support-bot/v3/adapter/",
                        "dd", "candidate", "ev_1", "projects/prj_1/eval/ev_1/report.json",
                        Map.of("exact_match", 0.93), null, "tiny-llama", "lora", Map.of("epochs", 3), "ds_1", 2, "c0ffee",
                        "projects/prj_1/jobs/job_1/output/adapter/", "key_1", null, Map.of("method", "lora")),
                new ModelPromoted(PROJECT, "support-bot", 3, "champion", 2, "key_1",
                        Map.of("champion", 3, "previous-champion", 2)),
                new ModelRolledBack(PROJECT, "support-bot", 3, 2, "key_1", Map.of("champion", 2, "previous-champion", 1)),
                new ObservationsReceived(PROJECT, "support-bot", 3, "projects/prj_1/observations/o1.jsonl", 500),
                new DriftMeasured(PROJECT, "support-bot", 3, "dw_1", start, end, 500,
                        List.of(new DriftMetric("prompt_length_psi", 0.04, 0.04, 0.2, false),
                                new DriftMetric("prompt_length_wasserstein", 0.0, null, 0.2, false)),
                        "projects/prj_1/drift/support-bot/v3/dw_1.json", List.of("projects/prj_1/observations/o1.jsonl")),
                new DriftDetected(PROJECT, "support-bot", 3, "dw_2", start, end, 500,
                        List.of(new DriftMetric("prompt_length_psi", 0.31, 0.31, 0.2, true)), List.of("prompt_length_psi"),
                        "projects/prj_1/drift/support-bot/v3/dw_2.json", List.of("projects/prj_1/observations/o2.jsonl")),
                new PipelineConfigured(PROJECT, "pl_1", "ds_1", "tiny-llama", "support-bot", "lora",
                        Map.of("epochs", 2), Map.of("exact_match_min", 0.8), Map.of("new_examples", 100), "active",
                        "torch"));
    }
}
