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
 * <p>{@code qlora} (docs/WORKER_PROTOCOL.md "QLoRA") is a LoRA adapter trained on a 4-bit base: LoRA's
 * hyperparameters plus {@code double_quant} (default true). {@code prompt_tuning} and {@code prefix_tuning}
 * ("Prompt and prefix tuning") train {@code num_virtual_tokens} (default {@value #DEFAULT_VIRTUAL_TOKENS}) virtual
 * tokens and nothing else: prompt tuning with {@code init} {@code random} (default) or {@code text} (then
 * {@code init_text}, required), prefix tuning with {@code prefix_projection} (default false) and
 * {@code encoder_hidden_size} (with the projection only; left out, the worker takes the model's hidden size). The
 * real tokens' positions follow the virtual ones, so {@code max_seq_length} defaults to what is left of the model's
 * context after them and may not exceed it; every example is a row of its own, so {@code packing: true} is refused.
 * Their {@code learning_rate: auto} is far higher than LoRA's, since a few embeddings learn slowly: 3e-2 for prompt
 * tuning (PEFT's prompt-tuning example for causal LMs, in the 3e-2..3e-1 its examples use) and 1e-2 for prefix
 * tuning (PEFT's prefix-tuning example). Which runtime runs which method is {@link #runtimeProblem}: {@code qlora}
 * and {@code prefix_tuning} need the torch runtime.
 *
 * <p>{@code mix} ({@link Mix}: {@code {"dataset_id", "dataset_version" (optional), "fraction"}}) mixes a share of a
 * general dataset's training split into every epoch, against forgetting: for n task examples,
 * {@code round(n * fraction / (1 - fraction))} general ones ({@link Mix#generalExamples}). It is a hyperparameter so that
 * it travels with the recipe (a job's request, a pipeline's retrainings) like the others; which dataset it names is
 * checked where datasets are known (the gateway, trainer-service), its shape here. {@code fraction} is at most
 * {@value #MAX_MIX_FRACTION}: at 0.9 a job already trains on nine general examples per task example, and towards 1 the
 * count grows without bound, the task vanishing from its own job.
 *
 * @param method   one of {@link #METHODS}
 * @param resolved every hyperparameter with its value, in a stable order
 */
public record Recipe(String method, Map<String, Object> resolved) {

    static final int MIN_EXAMPLES_SEEN = 100;
    static final int MAX_EXAMPLES_SEEN = 25_000;

    /** The methods, in the order error messages list them. */
    public static final List<String> METHOD_NAMES = List.of("lora", "full", "dpo", "qlora", "prompt_tuning",
            "prefix_tuning");

    public static final Set<String> METHODS = Set.copyOf(METHOD_NAMES);

    /** Methods only the torch runtime has (docs/WORKER_PROTOCOL.md): the djl runtime refuses them. */
    public static final Set<String> TORCH_ONLY = Set.of("qlora", "prefix_tuning");

    /** The runtime {@link #TORCH_ONLY} methods need. */
    public static final String TORCH = "torch";

    /** Virtual tokens of prompt and prefix tuning when the request does not say (PEFT's examples, the worker's). */
    public static final int DEFAULT_VIRTUAL_TOKENS = 20;

    /** DPO's {@code beta} when the request does not say (TRL's default, and OpenAI's {@code auto}). */
    public static final double DEFAULT_BETA = 0.1;

    /** The largest {@code mix.fraction} (see the class comment). */
    public static final double MAX_MIX_FRACTION = 0.9;

    /**
     * A general dataset mixed into the job's training data.
     *
     * @param datasetVersion null until pinned: the latest ready version where the job is checked
     * @param fraction       the share of every epoch's examples from the general set, in (0, {@value #MAX_MIX_FRACTION}]
     */
    public record Mix(String datasetId, Integer datasetVersion, double fraction) {

        /** The recipe's mix, if it has one ({@code resolved} as {@link #resolve} returns it, or a request's). */
        public static Optional<Mix> of(Map<String, Object> resolved) {
            if (!(resolved.get("mix") instanceof Map<?, ?> m) || !(m.get("dataset_id") instanceof String id)
                    || !(m.get("fraction") instanceof Number f)) {
                return Optional.empty();
            }
            return Optional.of(new Mix(id, m.get("dataset_version") instanceof Number v ? v.intValue() : null,
                    f.doubleValue()));
        }

        /** General examples for {@code taskExamples}: {@code round(n * fraction / (1 - fraction))}. */
        public long generalExamples(long taskExamples) {
            return Math.round(taskExamples * fraction / (1 - fraction));
        }

        /** The recipe's {@code mix} value: pinned to {@code version}, with what it adds to a job of n examples. */
        public Map<String, Object> pinned(int version, Long taskExamples) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("dataset_id", datasetId);
            out.put("dataset_version", version);
            out.put("fraction", fraction);
            if (taskExamples != null) {
                out.put("task_examples", taskExamples);
                out.put("general_examples", generalExamples(taskExamples));
            }
            return out;
        }
    }

    /** This recipe with its mix replaced by {@code mix} (a pinned one). */
    public Recipe withMix(Map<String, Object> mix) {
        Map<String, Object> out = new LinkedHashMap<>(resolved);
        out.put("mix", mix);
        return new Recipe(method, out);
    }

    /**
     * Why a general dataset of {@code mixFormat} cannot be mixed into a job on {@code format}, words to follow
     * {@code hyperparameters.mix.dataset_id: }, or empty: both must be preference pairs or neither (the worker reads one
     * file in one format; every other format is normalised to chat). Unknown formats are not refused.
     */
    public static Optional<String> mixProblem(String format, String mixFormat) {
        if (format == null || mixFormat == null
                || PREFERENCE_FORMAT.equals(format) == PREFERENCE_FORMAT.equals(mixFormat)) {
            return Optional.empty();
        }
        return Optional.of("the general dataset holds " + mixFormat + " examples and the job's " + format
                + " examples; both must be preference pairs or neither");
    }

    /** The dataset format (dataset-service's {@code DatasetReady.format}) of preference pairs: what dpo trains on. */
    public static final String PREFERENCE_FORMAT = "preference";

    /** Linear projections of a Llama-family block: LoRA's possible targets. */
    public static final Set<String> PROJECTIONS =
            Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /** The methods that train a LoRA adapter, and so take LoRA's hyperparameters. */
    private static final Set<String> LORA_METHODS = Set.of("lora", "dpo", "qlora");
    private static final Set<String> VIRTUAL_TOKEN_METHODS = Set.of("prompt_tuning", "prefix_tuning");

    /** Each method-specific hyperparameter and the methods it applies to (every other one applies to all). */
    private static final Map<String, List<String>> ONLY_FOR = Map.ofEntries(
            Map.entry("lora_r", List.of("lora", "dpo", "qlora")),
            Map.entry("lora_alpha", List.of("lora", "dpo", "qlora")),
            Map.entry("lora_dropout", List.of("lora", "dpo", "qlora")),
            Map.entry("target_modules", List.of("lora", "dpo", "qlora")),
            Map.entry("use_rslora", List.of("lora", "dpo", "qlora")),
            Map.entry("beta", List.of("dpo")),
            Map.entry("label_smoothing", List.of("dpo")),
            Map.entry("double_quant", List.of("qlora")),
            Map.entry("num_virtual_tokens", List.of("prompt_tuning", "prefix_tuning")),
            Map.entry("init", List.of("prompt_tuning")),
            Map.entry("init_text", List.of("prompt_tuning")),
            Map.entry("prefix_projection", List.of("prefix_tuning")),
            Map.entry("encoder_hidden_size", List.of("prefix_tuning")));

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
            errors.add("method: must be one of " + String.join(", ", METHOD_NAMES) + ", got "
                    + (method == null ? "nothing" : "'" + method + "'"));
            throw new RecipeException(errors);
        }
        Map<String, Object> given = hyperparameters == null ? Map.of() : hyperparameters;
        Fields f = new Fields(given, errors);
        for (String name : given.keySet()) {
            if (!Fields.KNOWN.contains(name)) {
                errors.add("hyperparameters." + name + ": unknown hyperparameter (known: " + String.join(", ",
                        Fields.KNOWN.stream().sorted().toList()) + ")");
            } else if (ONLY_FOR.containsKey(name) && !ONLY_FOR.get(name).contains(method)) {
                List<String> methods = ONLY_FOR.get(name);
                errors.add("hyperparameters." + name + ": only applies to method" + (methods.size() == 1 ? " "
                        : "s ") + String.join(methods.size() == 2 ? " and " : ", ", methods));
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
        boolean virtualTokens = VIRTUAL_TOKEN_METHODS.contains(method);
        int numVirtualTokens = virtualTokens ? f.integer("num_virtual_tokens", 1, 1024, DEFAULT_VIRTUAL_TOKENS) : 0;
        int context = shape == null ? Integer.MAX_VALUE : shape.maxPositionEmbeddings() - numVirtualTokens;
        int maxSeq = f.integer("max_seq_length", 8, 1 << 20, Math.max(8, Math.min(1024, context)));
        if (shape != null && maxSeq > context) {
            errors.add("hyperparameters.max_seq_length: must be <= the base model's max_position_embeddings "
                    + shape.maxPositionEmbeddings() + (virtualTokens ? " less num_virtual_tokens " + numVirtualTokens
                    + " (the example's positions follow the virtual tokens'), " + context : "") + ", got " + maxSeq);
        }
        out.put("max_seq_length", maxSeq);
        boolean packing = f.bool("packing", false);
        if (virtualTokens && packing) {
            errors.add("hyperparameters.packing: " + method + " puts its virtual tokens before every example, so it "
                    + "cannot pack examples together; leave packing out");
        }
        out.put("packing", packing);
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
        if (LORA_METHODS.contains(method)) {
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
        if (method.equals("qlora")) {
            out.put("double_quant", f.bool("double_quant", true));
        }
        if (virtualTokens) {
            out.put("num_virtual_tokens", numVirtualTokens);
        }
        if (method.equals("prompt_tuning")) {
            String init = f.choice("init", Set.of("random", "text"), "random");
            out.put("init", init);
            String text = f.text("init_text");
            if (init.equals("text") && text == null && !f.has("init_text")) {
                errors.add("hyperparameters.init_text: required with init \"text\": the text whose token embeddings "
                        + "start the prompt");
            } else if (!init.equals("text") && f.has("init_text")) {
                errors.add("hyperparameters.init_text: only applies with init \"text\"");
            } else if (text != null) {
                out.put("init_text", text);
            }
        }
        if (method.equals("prefix_tuning")) {
            boolean projection = f.bool("prefix_projection", false);
            out.put("prefix_projection", projection);
            Integer encoderHidden = f.optionalInt("encoder_hidden_size", 1, 1 << 20);
            if (!projection && f.has("encoder_hidden_size")) {
                errors.add("hyperparameters.encoder_hidden_size: only applies with prefix_projection true");
            } else if (encoderHidden != null) {
                out.put("encoder_hidden_size", encoderHidden);
            }
        }
        if (given.containsKey("mix")) {
            Map<String, Object> mix = f.mix();
            if (mix != null) {
                out.put("mix", mix);
            }
        }
        if (!errors.isEmpty()) {
            throw new RecipeException(errors);
        }
        return new Recipe(method, out);
    }

    /**
     * The learning rate of {@code learning_rate: auto}: what OpenAI's {@code learning_rate_multiplier} 1 means. A few
     * virtual tokens need a far higher rate than a LoRA adapter (see the class comment for where the values come
     * from).
     */
    public static double defaultLearningRate(String method) {
        return switch (method) {
            case "full" -> 2.0e-5;
            case "prompt_tuning" -> 3.0e-2;
            case "prefix_tuning" -> 1.0e-2;
            default -> 2.0e-4;
        };
    }

    /**
     * Why a job of {@code method} cannot run on {@code runtime} (null: trainer-service's default, which the gateway
     * does not know, so a method one runtime lacks must name the runtime it needs), or empty when it can. Words to
     * follow {@code runtime: }.
     */
    public static Optional<String> runtimeProblem(String method, String runtime) {
        if (method == null || !TORCH_ONLY.contains(method) || TORCH.equals(runtime)) {
            return Optional.empty();
        }
        return Optional.of("method " + method + " runs only on the torch runtime, got " + (runtime == null
                ? "none (trainer-service's default, djl unless configured otherwise); ask for runtime torch"
                : "'" + runtime + "'"));
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
                "lora_r", "lora_alpha", "lora_dropout", "target_modules", "use_rslora", "beta", "label_smoothing",
                "double_quant", "num_virtual_tokens", "init", "init_text", "prefix_projection", "encoder_hidden_size",
                "mix");
        static final Set<String> MIX_FIELDS = Set.of("dataset_id", "dataset_version", "fraction");

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

        /** {@code mix}, checked field by field ({@code hyperparameters.mix.fraction: ...}); null when wrong. */
        Map<String, Object> mix() {
            Object v = given.get("mix");
            if (!(v instanceof Map<?, ?> m)) {
                errors.add("hyperparameters.mix: must be an object {\"dataset_id\", \"dataset_version\" (optional), "
                        + "\"fraction\"}, got " + describe(v));
                return null;
            }
            int before = errors.size();
            for (Object key : m.keySet()) {
                if (!MIX_FIELDS.contains(String.valueOf(key))) {
                    errors.add("hyperparameters.mix." + key + ": unknown field (known: dataset_id, dataset_version, "
                            + "fraction)");
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            if (!(m.get("dataset_id") instanceof String id) || id.isBlank()) {
                errors.add("hyperparameters.mix.dataset_id: required, the id of a training dataset of this project, got "
                        + describe(m.get("dataset_id")));
            } else {
                out.put("dataset_id", id);
            }
            Object version = m.get("dataset_version");
            if (version != null) {
                if (!(version instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                        || n.doubleValue() < 1 || n.doubleValue() > Integer.MAX_VALUE) {
                    errors.add("hyperparameters.mix.dataset_version: must be an integer >= 1, got " + describe(version));
                } else {
                    out.put("dataset_version", n.intValue());
                }
            }
            Object fraction = m.get("fraction");
            if (!(fraction instanceof Number n) || !(n.doubleValue() > 0) || n.doubleValue() > MAX_MIX_FRACTION) {
                errors.add("hyperparameters.mix.fraction: must be > 0 and <= " + MAX_MIX_FRACTION + " (the share of "
                        + "every epoch's examples from the general dataset), got " + describe(fraction));
            } else {
                out.put("fraction", n.doubleValue());
            }
            return errors.size() == before ? out : null;
        }

        boolean has(String name) {
            return given.get(name) != null;
        }

        /** A non-blank string of at most 10,000 characters, or null when not given (or wrong: then named). */
        String text(String name) {
            Object v = given.get(name);
            if (v == null) {
                return null;
            }
            if (!(v instanceof String s) || s.isBlank() || s.length() > 10_000) {
                errors.add("hyperparameters." + name + ": must be a non-blank text of at most 10000 characters, got "
                        + (v instanceof String s && s.length() > 10_000 ? s.length() + " characters" : describe(v)));
                return null;
            }
            return s;
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
