package dev.tuneforge.kit.recipe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A training recipe: the method and its hyperparameters, as a user sends them (names as in
 * docs/WORKER_PROTOCOL.md, values or {@code "auto"}), checked and resolved to concrete values.
 * The gateway checks a request with it before accepting it; the trainer resolves it again when it builds
 * the worker's spec, so a job from a pipeline goes through the same rules.
 *
 * <p>{@code auto} follows OpenAI's fine-tuning API: {@code epochs} is 3, raised so a job sees at least
 * {@value #MIN_EXAMPLES_SEEN} examples and lowered so it sees at most {@value #MAX_EXAMPLES_SEEN};
 * {@code batch_size} is about 0.2% of the training examples, a power of two between 1 and 32.
 *
 * <p>{@code dpo} (Direct Preference Optimization, docs/WORKER_PROTOCOL.md "DPO") trains a LoRA adapter, so LoRA's
 * hyperparameters apply to it as to {@code lora}, plus {@code beta} (> 0, default {@value #DEFAULT_BETA}) and
 * {@code label_smoothing} (in [0, 0.5), default 0). It trains on preference pairs and only on them: {@link
 * #dataProblem} is the rule the gateway and the trainer check a job's dataset against.
 *
 * @param method   {@code lora}, {@code full} or {@code dpo}
 * @param resolved every hyperparameter with its value, in a stable order
 */
public record Recipe(String method, Map<String, Object> resolved) {

    static final int MIN_EXAMPLES_SEEN = 100;
    static final int MAX_EXAMPLES_SEEN = 25_000;

    public static final Set<String> METHODS = Set.of("lora", "full", "dpo");

    /** DPO's {@code beta} when the request does not say (TRL's default, and OpenAI's {@code auto}). */
    public static final double DEFAULT_BETA = 0.1;

    /** The dataset format (dataset-service's {@code DatasetReady.format}) of preference pairs: what dpo trains on. */
    public static final String PREFERENCE_FORMAT = "preference";

    /** Linear projections of a Llama-family block: LoRA's possible targets. */
    public static final Set<String> PROJECTIONS =
            Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /** Hyperparameters of the methods that train a LoRA adapter ({@code lora} and {@code dpo}). */
    private static final Set<String> LORA_ONLY = Set.of("lora_r", "lora_alpha", "lora_dropout", "target_modules",
            "use_rslora");
    private static final Set<String> DPO_ONLY = Set.of("beta", "label_smoothing");

    /** What is known about the base model, for checks like "r must not exceed the hidden size". */
    public record BaseModelShape(int hiddenSize, int maxPositionEmbeddings) { }

    /**
     * Checks and resolves a request.
     *
     * @param trainExamples examples in the training split (for {@code auto}); 0 when unknown yet
     * @param shape         the base model's shape, or null when not known
     * @throws RecipeException naming every wrong field, e.g. {@code hyperparameters.lora_r: must be <= 64 ...}
     */
    public static Recipe resolve(String method, Map<String, Object> hyperparameters, long trainExamples,
                                 BaseModelShape shape) {
        List<String> errors = new ArrayList<>();
        if (method == null || !METHODS.contains(method)) {
            errors.add("method: must be one of lora, full, dpo, got " + (method == null ? "nothing" : "'" + method
                    + "'"));
            throw new RecipeException(errors);
        }
        Map<String, Object> given = hyperparameters == null ? Map.of() : hyperparameters;
        Fields f = new Fields(given, errors);
        for (String name : given.keySet()) {
            if (!Fields.KNOWN.contains(name)) {
                errors.add("hyperparameters." + name + ": unknown hyperparameter (known: " + String.join(", ",
                        Fields.KNOWN.stream().sorted().toList()) + ")");
            } else if (method.equals("full") && LORA_ONLY.contains(name)) {
                errors.add("hyperparameters." + name + ": only applies to methods lora and dpo");
            } else if (!method.equals("dpo") && DPO_ONLY.contains(name)) {
                errors.add("hyperparameters." + name + ": only applies to method dpo");
            }
        }

        Map<String, Object> out = new LinkedHashMap<>();
        int batchSize = f.intOrAuto("batch_size", 1, 1024, autoBatchSize(trainExamples));
        out.put("epochs", f.intOrAuto("epochs", 1, 100, autoEpochs(trainExamples)));
        Integer maxSteps = f.optionalInt("max_steps", 1, 10_000_000);
        if (maxSteps != null) {
            out.put("max_steps", maxSteps);
        }
        out.put("batch_size", batchSize);
        out.put("gradient_accumulation_steps", f.integer("gradient_accumulation_steps", 1, 1024, 1));
        out.put("learning_rate", f.decimalOrAuto("learning_rate", 0, 1, defaultLearningRate(method)));
        out.put("lr_scheduler", f.choice("lr_scheduler", Set.of("linear", "cosine", "constant"), "linear"));
        out.put("warmup_ratio", f.decimal("warmup_ratio", 0, 1, 0.0, true));
        Integer warmupSteps = f.optionalInt("warmup_steps", 0, 10_000_000);
        if (warmupSteps != null) {
            out.put("warmup_steps", warmupSteps);
        }
        out.put("weight_decay", f.decimal("weight_decay", 0, 1, 0.0, true));
        out.put("max_grad_norm", f.decimal("max_grad_norm", 0, 1e6, 1.0, true));
        int maxSeq = f.integer("max_seq_length", 8, 1 << 20, shape == null ? 1024
                : Math.min(1024, shape.maxPositionEmbeddings()));
        if (shape != null && maxSeq > shape.maxPositionEmbeddings()) {
            errors.add("hyperparameters.max_seq_length: must be <= the base model's max_position_embeddings "
                    + shape.maxPositionEmbeddings() + ", got " + maxSeq);
        }
        out.put("max_seq_length", maxSeq);
        out.put("packing", f.bool("packing", false));
        out.put("seed", f.integer("seed", 0, Integer.MAX_VALUE, 42));
        out.put("save_steps", f.integer("save_steps", 1, 10_000_000, 50));
        Integer evalSteps = f.optionalInt("eval_steps", 1, 10_000_000);
        if (evalSteps != null) {
            out.put("eval_steps", evalSteps);
        }
        Integer patience = f.optionalInt("early_stopping_patience", 1, 1000);
        if (patience != null) {
            out.put("early_stopping_patience", patience);
        }
        if (!method.equals("full")) {
            int r = f.integer("lora_r", 1, 4096, 8);
            if (shape != null && r > shape.hiddenSize()) {
                errors.add("hyperparameters.lora_r: must be <= the base model's hidden size " + shape.hiddenSize()
                        + ", got " + r);
            }
            out.put("lora_r", r);
            out.put("lora_alpha", f.decimal("lora_alpha", 0, 1e6, 2.0 * r, false));
            out.put("lora_dropout", f.decimal("lora_dropout", 0, 0.99, 0.0, true));
            out.put("target_modules", f.targetModules());
            out.put("use_rslora", f.bool("use_rslora", false));
        }
        if (method.equals("dpo")) {
            out.put("beta", f.decimal("beta", 0, 1e6, DEFAULT_BETA, false));
            double smoothing = f.decimal("label_smoothing", 0, 0.5, 0.0, true);
            if (smoothing == 0.5) {
                errors.add("hyperparameters.label_smoothing: must be below 0.5, got 0.5");
            }
            out.put("label_smoothing", smoothing);
        }
        if (!errors.isEmpty()) {
            throw new RecipeException(errors);
        }
        return new Recipe(method, out);
    }

    /** The learning rate of {@code learning_rate: auto}: what OpenAI's {@code learning_rate_multiplier} 1 means. */
    public static double defaultLearningRate(String method) {
        return method.equals("full") ? 2.0e-5 : 2.0e-4;
    }

    /**
     * Why a job of {@code method} cannot train on a dataset of {@code format} (e.g. {@code lora cannot train on
     * preference pairs; use method dpo}, to follow {@code method: }) ({@code chat}, {@code alpaca},
     * {@code completion}, {@code preference}; null when not known, as for versions announced before formats were),
     * or empty when it can: dpo needs preference pairs, and the other methods would learn only the chosen answers of
     * pairs, silently dropping the rejected ones, so they are refused them.
     */
    public static Optional<String> dataProblem(String method, String format) {
        if (format == null || method == null) {
            return Optional.empty();
        }
        boolean pairs = PREFERENCE_FORMAT.equals(format);
        if (method.equals("dpo") && !pairs) {
            return Optional.of("dpo trains on preference pairs ({\"prompt\", \"chosen\", "
                    + "\"rejected\"} or OpenAI's {\"input\", \"preferred_output\", \"non_preferred_output\"}); "
                    + "the dataset holds " + format + " examples");
        }
        if (!method.equals("dpo") && pairs) {
            return Optional.of(method + " cannot train on preference pairs; use method dpo");
        }
        return Optional.empty();
    }

    /** OpenAI's rule: 3 epochs, adjusted so the job sees between 100 and 25,000 examples. */
    static int autoEpochs(long trainExamples) {
        if (trainExamples <= 0) {
            return 3;
        }
        int epochs = 3;
        if (trainExamples * epochs < MIN_EXAMPLES_SEEN) {
            epochs = (int) Math.min(25, (MIN_EXAMPLES_SEEN + trainExamples - 1) / trainExamples);
        } else if (trainExamples * epochs > MAX_EXAMPLES_SEEN) {
            epochs = (int) Math.max(1, MAX_EXAMPLES_SEEN / trainExamples);
        }
        return epochs;
    }

    /** About 0.2% of the examples, rounded down to a power of two, between 1 and 32. */
    static int autoBatchSize(long trainExamples) {
        long target = Math.max(1, Math.min(32, Math.round(trainExamples * 0.002)));
        return Integer.highestOneBit((int) target);
    }

    public int integer(String name) {
        return ((Number) resolved.get(name)).intValue();
    }

    public double decimal(String name) {
        return ((Number) resolved.get(name)).doubleValue();
    }

    /** Optimizer steps the recipe will take for this many examples (packing makes it fewer). */
    public long estimatedSteps(long trainExamples) {
        if (resolved.containsKey("max_steps")) {
            return integer("max_steps");
        }
        long perEpoch = Math.max(1, (trainExamples + (long) integer("batch_size") * integer("gradient_accumulation_steps") - 1)
                / ((long) integer("batch_size") * integer("gradient_accumulation_steps")));
        return perEpoch * integer("epochs");
    }

    /** Reads and checks the fields of one request, collecting every error. */
    private static final class Fields {
        static final Set<String> KNOWN = Set.of("epochs", "max_steps", "batch_size", "gradient_accumulation_steps",
                "learning_rate", "lr_scheduler", "warmup_ratio", "warmup_steps", "weight_decay", "max_grad_norm",
                "max_seq_length", "packing", "seed", "save_steps", "eval_steps", "early_stopping_patience",
                "lora_r", "lora_alpha", "lora_dropout", "target_modules", "use_rslora", "beta", "label_smoothing");

        private final Map<String, Object> given;
        private final List<String> errors;

        Fields(Map<String, Object> given, List<String> errors) {
            this.given = given;
            this.errors = errors;
        }

        int intOrAuto(String name, int min, int max, int auto) {
            Object v = given.get(name);
            return v == null || "auto".equals(v) ? auto : integer(name, min, max, auto);
        }

        double decimalOrAuto(String name, double min, double max, double auto) {
            Object v = given.get(name);
            return v == null || "auto".equals(v) ? auto : decimal(name, min, max, auto, false);
        }

        Integer optionalInt(String name, int min, int max) {
            return given.get(name) == null ? null : integer(name, min, max, 0);
        }

        int integer(String name, int min, int max, int fallback) {
            Object v = given.get(name);
            if (v == null) {
                return fallback;
            }
            if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                errors.add("hyperparameters." + name + ": must be an integer, got " + describe(v));
                return fallback;
            }
            long value = n.longValue();
            if (value < min || value > max) {
                errors.add("hyperparameters." + name + ": must be between " + min + " and " + max + ", got " + value);
                return fallback;
            }
            return (int) value;
        }

        double decimal(String name, double min, double max, double fallback, boolean minInclusive) {
            Object v = given.get(name);
            if (v == null) {
                return fallback;
            }
            if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
                errors.add("hyperparameters." + name + ": must be a number, got " + describe(v));
                return fallback;
            }
            double value = n.doubleValue();
            boolean aboveMin = minInclusive ? value >= min : value > min;
            if (!aboveMin || value > max) {
                errors.add("hyperparameters." + name + ": must be " + (minInclusive ? ">= " : "> ") + min + " and <= "
                        + max + ", got " + v);
                return fallback;
            }
            return value;
        }

        boolean bool(String name, boolean fallback) {
            Object v = given.get(name);
            if (v == null) {
                return fallback;
            }
            if (!(v instanceof Boolean b)) {
                errors.add("hyperparameters." + name + ": must be true or false, got " + describe(v));
                return fallback;
            }
            return b;
        }

        String choice(String name, Set<String> allowed, String fallback) {
            Object v = given.get(name);
            if (v == null) {
                return fallback;
            }
            if (!(v instanceof String s) || !allowed.contains(s)) {
                errors.add("hyperparameters." + name + ": must be one of " + String.join(", ", allowed.stream().sorted()
                        .toList()) + ", got " + describe(v));
                return fallback;
            }
            return s;
        }

        List<String> targetModules() {
            Object v = given.get("target_modules");
            if (v == null) {
                return List.of("q_proj", "v_proj");
            }
            if ("all-linear".equals(v)) {
                return List.of("all-linear");
            }
            if (!(v instanceof List<?> list) || list.isEmpty()) {
                errors.add("hyperparameters.target_modules: must be \"all-linear\" or a non-empty list of "
                        + String.join(", ", PROJECTIONS.stream().sorted().toList()) + ", got " + describe(v));
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                Object m = list.get(i);
                if (!(m instanceof String s) || !(PROJECTIONS.contains(s) || s.equals("all-linear"))) {
                    errors.add("hyperparameters.target_modules[" + i + "]: unknown module " + describe(m));
                } else {
                    out.add(s);
                }
            }
            return out;
        }

        private static String describe(Object v) {
            return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
        }
    }
}
