package dev.tuneforge.eval.gate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.schema.SelfContainedSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A gate: rules a candidate must meet to pass, each a comparison of one of its metrics with a number or
 * with the same metric of a baseline ({@code base} model or current {@code champion}) plus a margin.
 * A pipeline's gate is JSON:
 * <pre>
 * {"rules": [{"metric": "exact_match", "op": ">=", "value": 0.8},
 *            {"metric": "exact_match", "op": ">=", "baseline": "champion", "delta": 0.01},
 *            {"metric": "perplexity",  "op": "<=", "baseline": "base"}],
 *  "json_schema": {...}, "labels": false,
 *  "forgetting": {"dataset_id": "ds_general", "dataset_version": 1, "max_loss_increase": 0.2},
 *  "preference": {"min_accuracy": 0.9, "min_gain_over_base": 0.1},
 *  "few_shot": {"k": 3, "min_gain": 0.0}}
 * </pre>
 * A rule against the champion is skipped (and says so) while the model has no champion. The forgetting check
 * evaluates the candidate and the base model on a general-purpose dataset too; its metrics are named
 * {@code general.<metric>} and {@code max_loss_increase} adds the rule {@code general.loss <= base + X}
 * (any rule may use {@code general.*} metrics). On held-out preference pairs (a DPO candidate's) each subject has
 * {@code preference_accuracy} and {@code logp_margin}, and the candidate (and champion) {@code reward_margin}; the
 * {@code preference} section adds {@code preference_accuracy >= min_accuracy} and {@code preference_accuracy >= base +
 * min_gain_over_base}, as {@code forgetting} adds its rule; without rules of its own such a gate starts from
 * {@link #preferenceDefaults()}. The few-shot baseline is the base model prompted with {@code few_shot.k} training
 * examples (default {@value #DEFAULT_FEW_SHOTS}; 0 turns it off); {@code few_shot.min_gain} adds {@code exact_match >=
 * few_shot + X} ({@code preference_accuracy} on pairs), and any rule may name {@code few_shot} as its baseline (skipped,
 * as a champion rule, while there is no few-shot result).
 *
 * @param jsonSchema the schema outputs must follow (adds the {@code json_schema} metric), or null; from
 *                   {@link #fromJson} always self-contained ({@link SelfContainedSchema}), else it refuses the gate
 * @param labels     outputs are class labels (adds accuracy and macro precision/recall/F1)
 * @param forgetting the general-purpose set, or null
 * @param fewShots   how many training examples the few-shot baseline is prompted with; 0 for none
 */
public record Gate(List<Rule> rules, JsonNode jsonSchema, boolean labels, Forgetting forgetting, int fewShots) {

    /** The few-shot baseline's examples when the gate does not say. */
    public static final int DEFAULT_FEW_SHOTS = 3;
    /** The most a gate may ask for: every shot lengthens every prompt of the held-out set. */
    public static final int MAX_FEW_SHOTS = 16;
    /** The baselines a rule may compare with. */
    public static final List<String> BASELINES = List.of("base", "champion", "few_shot");

    /** A general-purpose dataset version the candidate must not get much worse at than the base model. */
    public record Forgetting(String datasetId, int datasetVersion) { }

    /**
     * This gate with {@code set} as its forgetting set, its rules as they are: a job trained with a recipe {@code mix}
     * and a gate without a forgetting section is checked on the general set it mixed in (reported, no rule added).
     */
    public Gate withForgettingSet(Forgetting set) {
        return new Gate(rules, jsonSchema, labels, set, fewShots);
    }

    public Gate(List<Rule> rules, JsonNode jsonSchema, boolean labels) {
        this(rules, jsonSchema, labels, null, DEFAULT_FEW_SHOTS);
    }

    /**
     * Without a pipeline gate: the candidate must improve exact match over the base model by 5 points, must
     * not be worse than the base model's held-out loss (so it did not get worse at the data's distribution),
     * and must not be worse than the champion.
     */
    public static Gate defaults() {
        return new Gate(List.of(
                new Rule("exact_match", ">=", null, "base", 0.05),
                new Rule("loss", "<=", null, "base", 0.0),
                new Rule("exact_match", ">=", null, "champion", 0.0)), null, false);
    }

    /**
     * Without a pipeline gate, on preference pairs (where exact match and the chosen answer's loss are not what DPO
     * moves): the candidate must prefer the chosen answer on 5 points more pairs than the base model, must widen the
     * chosen-over-rejected margin over the base model's (a positive reward margin), and must not be worse than the
     * champion.
     */
    public static Gate preferenceDefaults() {
        return new Gate(List.of(
                new Rule(PREFERENCE_ACCURACY, ">=", null, "base", 0.05),
                new Rule(REWARD_MARGIN, ">", 0.0, null, 0.0),
                new Rule(PREFERENCE_ACCURACY, ">=", null, "champion", 0.0)), null, false);
    }

    /** The metrics of preference pairs (eval-service's MetricSet and EvalRunner name them so). */
    public static final String PREFERENCE_ACCURACY = "preference_accuracy";
    public static final String REWARD_MARGIN = "reward_margin";

    /** One comparison; {@code value} for a fixed threshold, else {@code baseline} (+ {@code delta}). */
    public record Rule(String metric, String op, Double value, String baseline, double delta) {

        public Rule {
            if (!List.of(">=", "<=", ">", "<").contains(op)) {
                throw new IllegalArgumentException("gate rule op must be one of >=, <=, >, <; got '" + op + "'");
            }
            if ((value == null) == (baseline == null)) {
                throw new IllegalArgumentException("gate rule on " + metric + " needs either value or baseline");
            }
            if (baseline != null && !BASELINES.contains(baseline)) {
                throw new IllegalArgumentException("gate rule baseline must be base, champion or few_shot, got '"
                        + baseline + "'");
            }
        }

        /** E.g. {@code exact_match >= champion + 0.01} or {@code perplexity <= 12.5}. */
        public String describe() {
            if (value != null) {
                return metric + " " + op + " " + fmt(value);
            }
            return metric + " " + op + " " + baseline + (delta == 0 ? "" : (delta > 0 ? " + " : " - ") + fmt(Math.abs(delta)));
        }
    }

    /** How one rule came out. {@code skipped} when its baseline does not exist. */
    public record RuleResult(String rule, boolean passed, boolean skipped, Double actual, Double threshold,
                             String explanation) { }

    /** The gate's verdict: passed only when every rule that applied passed. */
    public record Decision(boolean passed, List<RuleResult> results) {
        /** The failed rules, in words: e.g. "exact_match 0.40 < base 0.38 + 0.05 = 0.43". */
        public String reason() {
            List<String> failed = results.stream().filter(r -> !r.passed() && !r.skipped()).map(RuleResult::explanation).toList();
            return failed.isEmpty() ? "all rules passed" : String.join("; ", failed);
        }
    }

    /**
     * A pipeline's gate as {@code PipelineConfigured} carries it; the defaults when it has no rules.
     *
     * @throws IllegalArgumentException naming what is wrong with it (a rule, or a schema that is not
     *                                  self-contained)
     */
    public static Gate fromJson(Map<String, Object> json) {
        return fromJson(json, false);
    }

    /**
     * As {@link #fromJson(Map)}, for held-out data of preference pairs or not: it picks the defaults
     * ({@link #preferenceDefaults()} or {@link #defaults()}) of a gate without rules.
     */
    public static Gate fromJson(Map<String, Object> json, boolean preferencePairs) {
        Gate d = preferencePairs ? preferenceDefaults() : defaults();
        if (json == null) {
            return d;
        }
        JsonNode node = EventCodec.mapper().valueToTree(json);
        List<Rule> rules = new ArrayList<>();
        if (json.isEmpty() || !json.containsKey("rules")) {
            rules.addAll(d.rules());
        } else {
            for (JsonNode r : node.get("rules")) {
                rules.add(new Rule(r.path("metric").asText(), r.path("op").asText(">="),
                        r.hasNonNull("value") ? r.get("value").asDouble() : null,
                        r.hasNonNull("baseline") ? r.get("baseline").asText() : null, r.path("delta").asDouble(0)));
            }
        }
        rules.addAll(preferenceRules(node.path("preference")));
        JsonNode fewShot = node.path("few_shot");
        rules.addAll(fewShotRules(fewShot, preferencePairs));
        return withForgetting(new Gate(rules, jsonSchema(node), node.path("labels").asBoolean(false), null,
                fewShots(fewShot)), node);
    }

    /** The {@code few_shot} section's {@code k}: an integer from 0 to {@value #MAX_FEW_SHOTS}, the default without. */
    private static int fewShots(JsonNode fewShot) {
        if (fewShot.isMissingNode() || fewShot.isNull()) {
            return DEFAULT_FEW_SHOTS;
        }
        if (!fewShot.isObject()) {
            throw new IllegalArgumentException("few_shot: must be an object with k and/or min_gain");
        }
        fewShot.fieldNames().forEachRemaining(name -> {
            if (!List.of("k", "min_gain").contains(name)) {
                throw new IllegalArgumentException("few_shot." + name + ": unknown (known: k, min_gain)");
            }
        });
        JsonNode k = fewShot.path("k");
        if (k.isMissingNode()) {
            return DEFAULT_FEW_SHOTS;
        }
        if (!k.isIntegralNumber() || k.asInt() < 0 || k.asInt() > MAX_FEW_SHOTS) {
            throw new IllegalArgumentException("few_shot.k: must be an integer from 0 to " + MAX_FEW_SHOTS + ", got "
                    + k);
        }
        return k.asInt();
    }

    /**
     * The {@code few_shot} section's rule: the candidate must beat the prompted base model by {@code min_gain} on
     * exact match (on preference accuracy for pairs, where exact match is not what DPO moves).
     */
    private static List<Rule> fewShotRules(JsonNode fewShot, boolean preferencePairs) {
        if (!fewShot.isObject() || !fewShot.has("min_gain")) {
            return List.of();
        }
        JsonNode gain = fewShot.get("min_gain");
        if (!gain.isNumber() || gain.asDouble() < -1 || gain.asDouble() > 1) {
            throw new IllegalArgumentException("few_shot.min_gain: must be a number from -1 to 1, got " + gain);
        }
        if (fewShot.path("k").isIntegralNumber() && fewShot.get("k").asInt() == 0) {
            throw new IllegalArgumentException("few_shot.min_gain: needs the few-shot baseline, which k 0 turns off");
        }
        return List.of(new Rule(preferencePairs ? PREFERENCE_ACCURACY : "exact_match", ">=", null, "few_shot",
                gain.asDouble()));
    }

    /** The {@code preference} section's rules: a minimum preference accuracy, a minimum gain over the base model. */
    private static List<Rule> preferenceRules(JsonNode preference) {
        List<Rule> rules = new ArrayList<>();
        if (preference.isMissingNode() || preference.isNull()) {
            return rules;
        }
        if (!preference.isObject()) {
            throw new IllegalArgumentException("preference: must be an object with min_accuracy and/or"
                    + " min_gain_over_base");
        }
        preference.fieldNames().forEachRemaining(name -> {
            if (!List.of("min_accuracy", "min_gain_over_base").contains(name)) {
                throw new IllegalArgumentException("preference." + name + ": unknown (known: min_accuracy,"
                        + " min_gain_over_base)");
            }
        });
        if (preference.has("min_accuracy")) {
            JsonNode min = preference.get("min_accuracy");
            if (!min.isNumber() || min.asDouble() < 0 || min.asDouble() > 1) {
                throw new IllegalArgumentException("preference.min_accuracy: must be a number from 0 to 1, got " + min);
            }
            rules.add(new Rule(PREFERENCE_ACCURACY, ">=", min.asDouble(), null, 0));
        }
        if (preference.has("min_gain_over_base")) {
            JsonNode gain = preference.get("min_gain_over_base");
            if (!gain.isNumber() || gain.asDouble() < -1 || gain.asDouble() > 1) {
                throw new IllegalArgumentException("preference.min_gain_over_base: must be a number from -1 to 1, got "
                        + gain);
            }
            rules.add(new Rule(PREFERENCE_ACCURACY, ">=", null, "base", gain.asDouble()));
        }
        return rules;
    }

    /** The gate's schema, if it has one; refused unless it is self-contained (it could fetch URLs or open files). */
    private static JsonNode jsonSchema(JsonNode gate) {
        if (!gate.hasNonNull("json_schema")) {
            return null;
        }
        JsonNode schema = gate.get("json_schema");
        List<String> problems = SelfContainedSchema.problems(schema);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("json_schema: " + String.join("; ", problems));
        }
        return schema;
    }

    private static Gate withForgetting(Gate gate, JsonNode node) {
        JsonNode f = node.get("forgetting");
        if (f == null || !f.hasNonNull("dataset_id")) {
            return gate;
        }
        List<Rule> rules = new ArrayList<>(gate.rules());
        if (f.hasNonNull("max_loss_increase")) {
            rules.add(new Rule("general.loss", "<=", null, "base", f.get("max_loss_increase").asDouble()));
        }
        return new Gate(rules, gate.jsonSchema(), gate.labels(),
                new Forgetting(f.get("dataset_id").asText(), f.path("dataset_version").asInt(1)), gate.fewShots());
    }

    /** Applies the rules; {@code champion} is null when the model has none yet. */
    public Decision decide(Map<String, Double> candidate, Map<String, Double> base, Map<String, Double> champion) {
        return decide(candidate, base, champion, null);
    }

    /** Applies the rules; {@code champion} and {@code fewShot} are null where there is no such subject. */
    public Decision decide(Map<String, Double> candidate, Map<String, Double> base, Map<String, Double> champion,
                           Map<String, Double> fewShot) {
        List<RuleResult> out = new ArrayList<>();
        for (Rule rule : rules) {
            Double actual = candidate.get(rule.metric());
            Double threshold;
            String against;
            if (rule.value() != null) {
                threshold = rule.value();
                against = fmt(threshold);
            } else {
                Map<String, Double> baseline = switch (rule.baseline()) {
                    case "base" -> base;
                    case "champion" -> champion;
                    default -> fewShot;
                };
                if (baseline == null) {
                    out.add(new RuleResult(rule.describe(), true, true, actual, null,
                            rule.describe() + ": skipped, no " + (rule.baseline().equals("few_shot")
                                    ? "few-shot result" : rule.baseline() + " yet")));
                    continue;
                }
                Double b = baseline.get(rule.metric());
                threshold = b == null ? null : b + rule.delta();
                against = rule.baseline() + " " + fmt(b) + (rule.delta() == 0 ? "" : " + " + fmt(rule.delta()) + " = "
                        + fmt(threshold));
            }
            if (actual == null || threshold == null) {
                out.add(new RuleResult(rule.describe(), false, false, actual, threshold,
                        rule.metric() + ": not measured"));
                continue;
            }
            boolean ok = switch (rule.op()) {
                case ">=" -> actual >= threshold;
                case "<=" -> actual <= threshold;
                case ">" -> actual > threshold;
                default -> actual < threshold;
            };
            String shownOp = ok ? rule.op() : negate(rule.op());
            out.add(new RuleResult(rule.describe(), ok, false, actual, threshold,
                    rule.metric() + " " + fmt(actual) + " " + shownOp + " " + against));
        }
        return new Decision(out.stream().allMatch(RuleResult::passed), out);
    }

    private static String negate(String op) {
        return switch (op) {
            case ">=" -> "<";
            case "<=" -> ">";
            case ">" -> "<=";
            default -> ">=";
        };
    }

    static String fmt(Double v) {
        return v == null ? "n/a" : String.format(Locale.ROOT, "%.4f", v).replaceAll("0+$", "").replaceAll("\\.$", ".0");
    }

    /** The rules in words, e.g. for the events' {@code gate} field. */
    public String describe() {
        return String.join(" and ", rules.stream().map(Rule::describe).toList());
    }
}
