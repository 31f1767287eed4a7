package dev.tuneforge.worker.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Validates spec JSON into {@link TrainSpec} / {@link EvalSpec}. The rules are those of
 * {@code schemas/train-spec.schema.json} and {@code schemas/eval-spec.schema.json}, and a test holds the two in
 * agreement; this reader exists so errors read well, naming every wrong field with its path, and defaults live in
 * one place. Relative paths resolve against the work directory. Files are not checked here: a missing file is a
 * data error, found when it is read. A runtime that does not support a valid option (the djl runtime and
 * {@code bf16}) refuses it itself.
 */
public final class SpecReader {

    public static final Set<String> FORMATS = WireNames.all(DataFormat.class);
    public static final Set<String> SCHEDULERS = WireNames.all(TrainSpec.LrScheduler.class);
    public static final Set<String> PRECISIONS = WireNames.all(TrainSpec.Precision.class);
    public static final Set<String> MODULES = Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
            "up_proj", "down_proj", "all-linear");
    /** PEFT's default LoRA targets for Llama-family models. */
    public static final List<String> DEFAULT_TARGETS = List.of("q_proj", "v_proj");

    public static final Set<String> METHODS = Set.of("lora", "full", "dpo", "qlora", "prompt_tuning",
            "prefix_tuning");

    /** PEFT's default length of a soft prompt or prefix. */
    public static final int DEFAULT_VIRTUAL_TOKENS = 20;

    /** Checkpoint every this many steps unless the spec says otherwise. */
    public static final int DEFAULT_SAVE_STEPS = 500;

    /** OpenAI's bound; beyond it sampling is close to uniform noise. */
    public static final double MAX_TEMPERATURE = 2.0;

    private static final ObjectMapper JSON = new ObjectMapper();

    private SpecReader() {
    }

    public static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new SpecException(List.of(file.getFileName() + ": not JSON: " + e.getOriginalMessage()));
        } catch (IOException e) {
            throw new SpecException(List.of("cannot read the spec " + file + ": " + e.getMessage()));
        }
    }

    public static TrainSpec train(JsonNode json, Path workdir) {
        List<String> problems = new ArrayList<>();
        if (json == null || !json.isObject()) {
            throw new SpecException(List.of("the spec must be a JSON object"));
        }
        JsonFields root = new JsonFields(json, "", problems, Set.of("base_model", "data", "method",
                "hyperparameters", "eval_steps", "early_stopping_patience", "save_steps", "resume_from",
                "output_dir", "device", "precision"));
        String baseModel = root.string("base_model", null, true);

        JsonFields d = root.object("data", true, Set.of("train", "validation", "format"));
        TrainSpec.Data data = null;
        if (d != null) {
            String train = d.string("train", null, true);
            String validation = d.string("validation", null, false);
            String format = d.oneOf("format", "chat", FORMATS);
            data = new TrainSpec.Data(resolve(workdir, train), resolve(workdir, validation),
                    WireNames.parse(DataFormat.class, format));
        }

        TrainSpec.Method method = method(root.object("method", true,
                Set.of("type", "r", "alpha", "dropout", "target_modules", "use_rslora", "beta", "label_smoothing",
                        "double_quant", "num_virtual_tokens", "init", "init_text", "prefix_projection",
                        "encoder_hidden_size")));
        if (data != null && method != null
                && (method instanceof TrainSpec.Dpo) != (data.format() == DataFormat.PREFERENCE)) {
            root.problem("data.format", method instanceof TrainSpec.Dpo
                    ? "method type \"dpo\" trains on pairs: must be \"preference\""
                    : "\"preference\" data is for method type \"dpo\"");
        }

        JsonFields h = root.object("hyperparameters", false, Set.of("epochs", "max_steps", "batch_size",
                "gradient_accumulation_steps", "learning_rate", "lr_scheduler", "warmup_steps", "warmup_ratio",
                "weight_decay", "max_grad_norm", "max_seq_length", "packing", "seed", "gradient_checkpointing"));
        TrainSpec.Hyperparameters hp = hyperparameters(h == null
                ? new JsonFields(JSON.createObjectNode(), "hyperparameters", problems, Set.of()) : h);

        Integer evalSteps = root.integer("eval_steps", null, 1);
        Integer patience = root.integer("early_stopping_patience", null, 1);
        Integer saveSteps = root.isNull("save_steps") ? null : root.integer("save_steps", DEFAULT_SAVE_STEPS, 1);
        if (patience != null && (data == null || data.validation() == null)) {
            root.problem("early_stopping_patience", "needs data.validation to measure improvement");
        }
        String resumeFrom = root.string("resume_from", null, false);
        String outputDir = root.string("output_dir", ".", false);
        String device = device(root);
        String precision = root.oneOf("precision", "fp32", PRECISIONS);
        if (!problems.isEmpty()) {
            throw new SpecException(problems);
        }
        return new TrainSpec(resolve(workdir, baseModel), data, method, hp, evalSteps, patience, saveSteps,
                resumeFrom == null ? null : resolve(workdir, resumeFrom), resolve(workdir, outputDir), device,
                WireNames.parse(TrainSpec.Precision.class, precision));
    }

    private static TrainSpec.Method method(JsonFields m) {
        if (m == null) {
            return null;
        }
        String type = m.oneOf("type", null, METHODS);
        if (!m.has("type")) {
            m.problem("type", "required: \"lora\", \"full\", \"dpo\", \"qlora\", \"prompt_tuning\" or "
                    + "\"prefix_tuning\"");
        }
        refuseOutside(m, type, Set.of("lora", "dpo", "qlora"), "r", "alpha", "dropout", "target_modules",
                "use_rslora");
        refuseOutside(m, type, Set.of("dpo"), "beta", "label_smoothing");
        refuseOutside(m, type, Set.of("qlora"), "double_quant");
        refuseOutside(m, type, Set.of("prompt_tuning", "prefix_tuning"), "num_virtual_tokens");
        refuseOutside(m, type, Set.of("prompt_tuning"), "init", "init_text");
        refuseOutside(m, type, Set.of("prefix_tuning"), "prefix_projection", "encoder_hidden_size");
        if (type == null) {
            return null;
        }
        return switch (type) {
            case "full" -> new TrainSpec.Full();
            case "qlora" -> new TrainSpec.Qlora(lora(m), m.bool("double_quant", true));
            case "dpo" -> dpo(m);
            case "prompt_tuning" -> promptTuning(m);
            case "prefix_tuning" -> prefixTuning(m);
            default -> lora(m);
        };
    }

    private static TrainSpec.Dpo dpo(JsonFields m) {
        TrainSpec.Lora lora = lora(m);
        double beta = m.number("beta", 0.1, 0, true, Double.MAX_VALUE);
        double labelSmoothing = m.number("label_smoothing", 0.0, 0, false, 0.5);
        if (labelSmoothing == 0.5) {
            m.problem("label_smoothing", "must be below 0.5, got " + labelSmoothing);
        }
        return new TrainSpec.Dpo(lora, beta, labelSmoothing);
    }

    private static void refuseOutside(JsonFields m, String type, Set<String> types, String... fields) {
        if (type == null || types.contains(type)) {
            return;
        }
        List<String> quoted = types.stream().sorted().map(t -> "\"" + t + "\"").toList();
        String named = quoted.size() == 1 ? quoted.get(0)
                : String.join(", ", quoted.subList(0, quoted.size() - 1)) + " and " + quoted.getLast();
        for (String field : fields) {
            if (m.has(field)) {
                m.problem(field, "only applies to method type" + (types.size() > 1 ? "s " : " ") + named);
            }
        }
    }

    private static TrainSpec.PromptTuning promptTuning(JsonFields m) {
        int tokens = m.integer("num_virtual_tokens", DEFAULT_VIRTUAL_TOKENS, 1);
        String init = m.oneOf("init", "random", WireNames.all(TrainSpec.PromptInit.class));
        String text = m.string("init_text", null, false);
        if ("text".equals(init) && (text == null || text.isBlank())) {
            m.problem("init_text", "required with init \"text\": the text whose token embeddings start the prompt");
        }
        if (!"text".equals(init) && m.has("init_text")) {
            m.problem("init_text", "only applies with init \"text\"");
        }
        return new TrainSpec.PromptTuning(tokens, WireNames.parse(TrainSpec.PromptInit.class, init),
                "text".equals(init) ? text : null);
    }

    private static TrainSpec.PrefixTuning prefixTuning(JsonFields m) {
        int tokens = m.integer("num_virtual_tokens", DEFAULT_VIRTUAL_TOKENS, 1);
        boolean projection = m.bool("prefix_projection", false);
        Integer encoderHidden = m.integer("encoder_hidden_size", null, 1);
        if (!projection && m.has("encoder_hidden_size")) {
            m.problem("encoder_hidden_size", "only applies with prefix_projection true");
        }
        return new TrainSpec.PrefixTuning(tokens, projection, encoderHidden);
    }

    private static TrainSpec.Lora lora(JsonFields m) {
        int r = m.integer("r", 8, 1);
        double alpha = m.number("alpha", 2.0 * r, 0, true, Double.MAX_VALUE);
        double dropout = m.number("dropout", 0.05, 0, false, 0.999);
        List<String> targets = m.strings("target_modules", DEFAULT_TARGETS);
        for (String t : targets) {
            if (!MODULES.contains(t)) {
                m.problem("target_modules", "unknown module \"" + t + "\"; known: " + MODULES.stream().sorted().toList());
            }
        }
        if (targets.contains("all-linear") && targets.size() > 1) {
            m.problem("target_modules", "\"all-linear\" stands alone");
        }
        return new TrainSpec.Lora(r, alpha, dropout, targets, m.bool("use_rslora", false));
    }

    private static TrainSpec.Hyperparameters hyperparameters(JsonFields h) {
        int epochs = h.integer("epochs", 3, 1);
        Integer maxSteps = h.integer("max_steps", null, 1);
        int batchSize = h.integer("batch_size", 8, 1);
        int accumulation = h.integer("gradient_accumulation_steps", 1, 1);
        double lr = h.number("learning_rate", 1e-4, 0, true, 1.0);
        String scheduler = h.oneOf("lr_scheduler", "linear", SCHEDULERS);
        Integer warmupSteps = h.integer("warmup_steps", null, 0);
        double warmupRatio = h.number("warmup_ratio", 0.0, 0, false, 1.0);
        if (h.has("warmup_steps") && h.has("warmup_ratio")) {
            h.problem("warmup_ratio", "give warmup_steps or warmup_ratio, not both");
        }
        double weightDecay = h.number("weight_decay", 0.0, 0, false, Double.MAX_VALUE);
        double maxGradNorm = h.number("max_grad_norm", 1.0, 0, false, Double.MAX_VALUE);
        int maxSeqLength = h.integer("max_seq_length", 1024, 2);
        boolean packing = h.bool("packing", false);
        long seed = h.longValue("seed", 42);
        boolean gradientCheckpointing = h.bool("gradient_checkpointing", false);
        return new TrainSpec.Hyperparameters(epochs, maxSteps, batchSize, accumulation, lr,
                WireNames.parse(TrainSpec.LrScheduler.class, scheduler), warmupSteps, warmupRatio, weightDecay,
                maxGradNorm, maxSeqLength, packing, seed, gradientCheckpointing);
    }

    public static EvalSpec eval(JsonNode json, Path workdir) {
        List<String> problems = new ArrayList<>();
        if (json == null || !json.isObject()) {
            throw new SpecException(List.of("the spec must be a JSON object"));
        }
        JsonFields root = new JsonFields(json, "", problems, Set.of("base_model", "adapter", "data",
                "max_seq_length", "max_new_tokens", "temperature", "top_p", "top_k", "seed", "stop", "output",
                "device"));
        String baseModel = root.string("base_model", null, true);
        String adapter = root.string("adapter", null, false);
        JsonFields d = root.object("data", true, Set.of("file", "format"));
        String file = d == null ? null : d.string("file", null, true);
        String format = d == null ? "chat" : d.oneOf("format", "chat", FORMATS);
        int maxSeqLength = root.integer("max_seq_length", 1024, 2);
        GenerationParams generation = generation(root);
        String output = root.string("output", "eval_results.jsonl", false);
        String device = device(root);
        if (!problems.isEmpty()) {
            throw new SpecException(problems);
        }
        return new EvalSpec(resolve(workdir, baseModel), resolve(workdir, adapter), resolve(workdir, file),
                WireNames.parse(DataFormat.class, format), maxSeqLength, generation, resolve(workdir, output), device);
    }

    /** Greedy unless a temperature is given; seed 0 by default, so a sampled evaluation is reproducible. */
    private static GenerationParams generation(JsonFields root) {
        int maxNewTokens = root.integer("max_new_tokens", 128, 0);
        double temperature = root.number("temperature", 0.0, 0, false, MAX_TEMPERATURE);
        double topP = root.number("top_p", 1.0, 0, true, 1.0);
        Integer topK = root.integer("top_k", null, 1);
        long seed = root.longValue("seed", 0);
        List<String> stop = root.strings("stop", List.of());
        return new GenerationParams(maxNewTokens, temperature, topP, topK, seed, stop);
    }

    private static String device(JsonFields root) {
        String device = root.string("device", "cpu", false);
        if (device != null && !device.matches("cpu|cuda(:\\d+)?|auto")) {
            root.problem("device", "must be cpu, cuda, cuda:N or auto, got \"" + device + "\"");
        }
        return device;
    }

    private static Path resolve(Path workdir, String path) {
        return path == null ? null : workdir.resolve(path).normalize();
    }
}
