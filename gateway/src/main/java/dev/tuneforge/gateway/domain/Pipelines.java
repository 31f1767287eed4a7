package dev.tuneforge.gateway.domain;

import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.gateway.storage.DatasetReadModel;
import dev.tuneforge.gateway.storage.PipelineReadModel;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.schema.SelfContainedSchema;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import dev.tuneforge.drift.Metric;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Retraining pipelines: a dataset, a base model, a recipe, an evaluation gate and triggers, owned by
 * trainer-service. The gateway checks a configuration and announces it (PipelineConfigured, always the
 * full configuration with its status); the read model shows it once the event is projected. The recipe is
 * kept as given ({@code auto} stays {@code auto}): each retraining resolves it against the data it has then.
 */
@ApplicationScoped
public class Pipelines {

    /** Numeric triggers trainer-service knows, with the smallest value each may take. */
    private static final Map<String, Integer> TRIGGERS = Map.of("min_new_examples", 1, "cooldown_seconds", 0);
    /** Sections of triggers: trainer-service's on_drift, eval-service's drift window and thresholds. */
    private static final List<String> DRIFT_TRIGGERS = List.of("on_drift", "drift_window", "drift_thresholds");
    /** What on_drift may do (trainer-service's {@code OnDrift.Action}). */
    private static final List<String> DRIFT_ACTIONS = List.of("retrain", "export_review");
    /** The drift metrics as {@code DriftDetected.detected} names them: {@link Metric} in snake case. */
    private static final List<String> DRIFT_METRICS = Arrays.stream(Metric.values())
            .map(m -> m.name().toLowerCase(Locale.ROOT)).toList();
    /** A window of fewer observations, or seconds, gives eval-service's statistics too little to go on. */
    private static final Map<String, Integer> DRIFT_WINDOW = Map.of("observations", 10, "seconds", 60);
    /** A purpose of a dataset that is never a pipeline's training data by itself (DatasetUploaded.purpose). */
    private static final String REVIEW = "review";

    private final TrainingJobs jobs;
    private final PipelineReadModel pipelines;
    private final DatasetReadModel datasets;
    private final Outbox outbox;

    public Pipelines(TrainingJobs jobs, PipelineReadModel pipelines, DatasetReadModel datasets, Outbox outbox) {
        this.jobs = jobs;
        this.pipelines = pipelines;
        this.datasets = datasets;
        this.outbox = outbox;
    }

    /** A pipeline as the user configures it; null fields take defaults ({@code runtime}: trainer-service's). */
    public record Config(String datasetId, String baseModel, String modelName, String method,
                         Map<String, Object> hyperparameters, Map<String, Object> gate, Map<String, Object> triggers,
                         String runtime) {
    }

    public PipelineConfigured create(Caller caller, Config config) {
        TrainingJobs.Checked checked = jobs.check(caller.projectId(), config.datasetId(), null, config.baseModel(),
                config.method(), config.hyperparameters(), config.modelName(), config.runtime(), false);
        checkTriggersAndGate(caller.projectId(), config.datasetId(), config.triggers(), config.gate());
        PipelineConfigured event = new PipelineConfigured(caller.projectId(),
                "pl_" + UUID.randomUUID().toString().replace("-", ""), config.datasetId(), config.baseModel(),
                checked.modelName(), checked.recipe().method(),
                config.hyperparameters() == null ? Map.of() : config.hyperparameters(),
                config.gate() == null ? Map.of() : config.gate(), config.triggers() == null ? Map.of() : config.triggers(),
                "active", config.runtime());
        publish(event);
        return event;
    }

    /** Pauses, resumes or deletes: the full configuration again, with the new status. */
    public PipelineConfigured setStatus(Caller caller, String pipelineId, String status) {
        PipelineView pipeline = pipelines.find(caller.projectId(), pipelineId)
                .orElseThrow(() -> DomainException.notFound("no pipeline '" + pipelineId + "'"));
        if ("deleted".equals(pipeline.status()) && !"deleted".equals(status)) {
            throw DomainException.conflict("pipeline '" + pipelineId + "' is deleted");
        }
        PipelineConfigured event = new PipelineConfigured(caller.projectId(), pipelineId, pipeline.datasetId(),
                pipeline.baseModel(), pipeline.modelName(), pipeline.method(), map(pipeline.hyperparameters()),
                map(pipeline.gate()), map(pipeline.triggers()), status, pipeline.runtime());
        if (!status.equals(pipeline.status())) {
            publish(event);
        }
        return event;
    }

    /**
     * A dataset that is not a review set (a drifted window's prompts with the served answers as drafts: unlabelled
     * until people correct them and append them to a training dataset); triggers trainer-service and eval-service
     * know, with values they accept ({@link #driftProblems}); a gate whose {@code json_schema} is self-contained
     * (eval-service compiles it: a reference outside it would make eval-service fetch a URL or open a file) and
     * whose {@code forgetting} set is a dataset of the project ({@link #forgettingProblems}), and whose
     * {@code preference} rules eval-service can apply ({@link #preferenceProblems}), and whose {@code few_shot} baseline
     * it can run ({@link #fewShotProblems}).
     */
    private void checkTriggersAndGate(String projectId, String datasetId, Map<String, Object> triggers,
                                      Map<String, Object> gate) {
        List<String> errors = new ArrayList<>();
        if (datasetId != null
                && datasets.find(projectId, datasetId).filter(d -> REVIEW.equals(d.purpose())).isPresent()) {
            errors.add("dataset_id: dataset '" + datasetId + "' is a review set (drafts for people to correct); append"
                    + " its corrected examples to a training dataset and train on that");
        }
        (triggers == null ? Map.<String, Object>of() : triggers).forEach((name, value) -> {
            Integer min = TRIGGERS.get(name);
            if (DRIFT_TRIGGERS.contains(name)) {
                errors.addAll(driftProblems(name, value));
            } else if (min == null) {
                errors.add("triggers." + name + ": unknown trigger (known: cooldown_seconds, min_new_examples, "
                        + String.join(", ", DRIFT_TRIGGERS) + ")");
            } else if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < min) {
                errors.add("triggers." + name + ": must be an integer >= " + min + ", got " + value);
            }
        });
        errors.addAll(gateProblems(projectId, gate));
        if (!errors.isEmpty()) {
            throw DomainException.unprocessable("invalid-pipeline", "Invalid pipeline", errors);
        }
    }

    /**
     * A drift section of the triggers, each problem with its path: {@code on_drift {metrics: [Metric names; absent:
     * any], actions: [retrain, export_review; default retrain], cooldown_seconds: >= 0}} (trainer-service acts on it);
     * {@code drift_window {observations: >= 10} or {seconds: >= 60}} and {@code drift_thresholds} (eval-service
     * measures with them).
     */
    static List<String> driftProblems(String name, Object value) {
        String path = "triggers." + name;
        if (!(value instanceof Map<?, ?> section)) {
            return List.of(path + ": must be an object, got " + value);
        }
        List<String> problems = new ArrayList<>();
        switch (name) {
            case "on_drift" -> section.forEach((key, v) -> {
                switch (String.valueOf(key)) {
                    case "metrics" -> problems.addAll(namesProblems(path + ".metrics", v, DRIFT_METRICS,
                            " (leave it out for any metric)"));
                    case "actions" -> problems.addAll(namesProblems(path + ".actions", v, DRIFT_ACTIONS, ""));
                    case "cooldown_seconds" -> {
                        if (!isInteger(v) || ((Number) v).longValue() < 0) {
                            problems.add(path + ".cooldown_seconds: must be an integer >= 0, got " + v);
                        }
                    }
                    default -> problems.add(path + "." + key + ": unknown (known: metrics, actions, cooldown_seconds)");
                }
            });
            case "drift_window" -> {
                section.forEach((key, v) -> {
                    Integer min = DRIFT_WINDOW.get(String.valueOf(key));
                    if (min == null) {
                        problems.add(path + "." + key + ": unknown (known: observations, seconds)");
                    } else if (!isInteger(v) || ((Number) v).longValue() < min) {
                        problems.add(path + "." + key + ": must be an integer >= " + min + ", got " + v);
                    }
                });
                if (section.size() != 1 && problems.isEmpty()) {
                    problems.add(path + ": must give either observations or seconds");
                }
            }
            default -> section.forEach((key, v) -> thresholdProblem(path + "." + key, String.valueOf(key), v)
                    .ifPresent(problems::add));
        }
        return problems;
    }

    /**
     * A drift threshold, by its name in {@code DriftThresholds} in snake case, within the range that record accepts:
     * significance levels in (0, 1), distances above 0, the domain classifier's AUC in [0.5, 1). The permutation
     * count and the embedding sample are eval-service's costs, not thresholds, and are not the pipeline's to set.
     */
    private static Optional<String> thresholdProblem(String path, String name, Object value) {
        String range = switch (name) {
            case "ks_alpha", "jensen_shannon_alpha", "domain_classifier_level", "mmd_alpha", "validity_alpha" ->
                    "(0, 1)";
            case "psi", "wasserstein", "jensen_shannon" -> "above 0";
            case "domain_classifier_auc" -> "[0.5, 1)";
            default -> null;
        };
        if (range == null) {
            return Optional.of(path + ": unknown (known: psi, ks_alpha, wasserstein, jensen_shannon_alpha,"
                    + " jensen_shannon, domain_classifier_auc, domain_classifier_level, mmd_alpha, validity_alpha)");
        }
        double v = value instanceof Number n ? n.doubleValue() : Double.NaN;
        boolean ok = switch (range) {
            case "(0, 1)" -> v > 0 && v < 1;
            case "above 0" -> v > 0 && Double.isFinite(v);
            default -> v >= 0.5 && v < 1;
        };
        return ok ? Optional.empty()
                : Optional.of(path + ": must be a number " + (range.startsWith("above") ? "" : "in ") + range
                        + ", got " + value);
    }

    /** A non-empty list of distinct names out of {@code known}. */
    private static List<String> namesProblems(String path, Object value, List<String> known, String hint) {
        if (!(value instanceof List<?> names) || names.isEmpty()) {
            return List.of(path + ": must be a non-empty list of " + String.join(", ", known) + hint + ", got "
                    + value);
        }
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            Object n = names.get(i);
            if (!known.contains(n)) {
                problems.add(path + "[" + i + "]: unknown '" + n + "' (known: " + String.join(", ", known) + ")");
            } else if (names.indexOf(n) < i) {
                problems.add(path + "[" + i + "]: '" + n + "' is named twice");
            }
        }
        return problems;
    }

    private static boolean isInteger(Object v) {
        return v instanceof Integer || v instanceof Long;
    }

    /** What eval-service could not apply of a gate (a pipeline's or a sweep's), each naming its path. */
    List<String> gateProblems(String projectId, Map<String, Object> gate) {
        List<String> errors = new ArrayList<>();
        if (gate != null && gate.get("json_schema") != null) {
            SelfContainedSchema.problems(EventCodec.mapper().valueToTree(gate.get("json_schema")))
                    .forEach(problem -> errors.add("gate.json_schema: " + problem));
        }
        if (gate != null && gate.containsKey("forgetting")) {
            errors.addAll(forgettingProblems(projectId, gate.get("forgetting")));
        }
        if (gate != null && gate.containsKey("preference")) {
            errors.addAll(preferenceProblems(gate.get("preference")));
        }
        if (gate != null && gate.containsKey("few_shot")) {
            errors.addAll(fewShotProblems(gate.get("few_shot")));
        }
        return errors;
    }

    /**
     * A gate's forgetting set, {@code {"dataset_id", "dataset_version", "max_loss_increase"}}: eval-service evaluates
     * it only within the pipeline's project and fails the evaluation otherwise, so a dataset the project does not
     * have (in the read model) is refused now, in the same words whether another project has one by that id or not.
     * Without a {@code dataset_id} eval-service would skip the check without a word.
     */
    private List<String> forgettingProblems(String projectId, Object forgetting) {
        if (!(forgetting instanceof Map<?, ?> set)) {
            return List.of("gate.forgetting: must be an object with dataset_id, dataset_version and"
                    + " max_loss_increase, got " + forgetting);
        }
        List<String> problems = new ArrayList<>();
        Object id = set.get("dataset_id");
        if (!(id instanceof String datasetId) || datasetId.isBlank()) {
            problems.add("gate.forgetting.dataset_id: required, the id of a dataset of this project"
                    + (id == null ? "" : ", got " + id));
        } else if (datasets.find(projectId, datasetId).isEmpty()) {
            problems.add("gate.forgetting.dataset_id: no dataset '" + datasetId + "' in this project");
        }
        Object version = set.get("dataset_version");
        if (version != null && (!(version instanceof Integer || version instanceof Long)
                || ((Number) version).longValue() < 1)) {
            problems.add("gate.forgetting.dataset_version: must be an integer >= 1, got " + version);
        }
        return problems;
    }

    /**
     * A gate's preference rules for DPO candidates, {@code {"min_accuracy": 0..1, "min_gain_over_base": -1..1}}
     * (eval-service's {@code Gate}): one it could not read would fail every evaluation of the pipeline, so it is
     * refused now.
     */
    private static List<String> preferenceProblems(Object preference) {
        if (!(preference instanceof Map<?, ?> rules)) {
            return List.of("gate.preference: must be an object with min_accuracy and/or min_gain_over_base, got "
                    + preference);
        }
        List<String> problems = new ArrayList<>();
        rules.forEach((name, value) -> {
            double min = "min_accuracy".equals(name) ? 0 : -1;
            if (!"min_accuracy".equals(name) && !"min_gain_over_base".equals(name)) {
                problems.add("gate.preference." + name + ": unknown (known: min_accuracy, min_gain_over_base)");
            } else if (!(value instanceof Number n) || n.doubleValue() < min || n.doubleValue() > 1) {
                problems.add("gate.preference." + name + ": must be a number from " + (int) min + " to 1, got "
                        + value);
            }
        });
        return problems;
    }

    /** As many training examples as eval-service's {@code Gate} puts before each held-out one, at most. */
    private static final int MAX_FEW_SHOTS = 16;

    /**
     * A gate's few-shot baseline, {@code {"k": 0..16, "min_gain": -1..1}} (eval-service's {@code Gate}: the base model
     * prompted with k training examples; k 0 turns it off, so a {@code min_gain} rule against it could never apply):
     * one it could not read would fail every evaluation of the pipeline, so it is refused now.
     */
    private static List<String> fewShotProblems(Object fewShot) {
        if (!(fewShot instanceof Map<?, ?> section)) {
            return List.of("gate.few_shot: must be an object with k and/or min_gain, got " + fewShot);
        }
        List<String> problems = new ArrayList<>();
        section.forEach((name, value) -> {
            if ("k".equals(name)) {
                if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < 0
                        || ((Number) value).longValue() > MAX_FEW_SHOTS) {
                    problems.add("gate.few_shot.k: must be an integer from 0 to " + MAX_FEW_SHOTS + ", got " + value);
                }
            } else if ("min_gain".equals(name)) {
                if (!(value instanceof Number n) || n.doubleValue() < -1 || n.doubleValue() > 1) {
                    problems.add("gate.few_shot.min_gain: must be a number from -1 to 1, got " + value);
                } else if (section.get("k") instanceof Number k && k.longValue() == 0) {
                    problems.add("gate.few_shot.min_gain: needs the few-shot baseline, which k 0 turns off");
                }
            } else {
                problems.add("gate.few_shot." + name + ": unknown (known: k, min_gain)");
            }
        });
        return problems;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(com.fasterxml.jackson.databind.JsonNode node) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        return new com.fasterxml.jackson.databind.ObjectMapper().convertValue(node, LinkedHashMap.class);
    }

    @Transactional
    void publish(PipelineConfigured event) {
        outbox.publish(event);
    }
}
