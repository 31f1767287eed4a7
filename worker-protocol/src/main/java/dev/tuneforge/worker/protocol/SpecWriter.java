package dev.tuneforge.worker.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes {@link TrainSpec} and {@link EvalSpec} as the {@code spec.json} a worker reads, so a service builds a spec
 * as a record and never as a map of names. Every value is written, defaults included, so the file says exactly
 * what runs whichever runtime reads it; null components are left out (the worker's default applies). Paths are
 * written as they are: relative ones resolve against the worker's {@code --workdir}. {@code save_steps} is the one
 * field whose null is written, as {@code null}: absent, it defaults to 500.
 *
 * <p>What is written is read back with {@link SpecReader} before it is returned: a spec the worker would refuse
 * fails here, in the service, with the reader's message, instead of as a {@code bad_spec} attempt.
 */
public final class SpecWriter {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Relative paths stay relative when the written spec is read back. */
    private static final Path AS_WRITTEN = Path.of("");

    private SpecWriter() {
    }

    /**
     * The spec as JSON text.
     *
     * @throws SpecException when the worker would refuse it, naming every wrong field
     */
    public static String json(TrainSpec spec) {
        ObjectNode tree = tree(spec);
        SpecReader.train(tree, AS_WRITTEN);
        return text(tree);
    }

    /** As {@link #json(TrainSpec)}, for {@code worker evaluate}. */
    public static String json(EvalSpec spec) {
        ObjectNode tree = tree(spec);
        SpecReader.eval(tree, AS_WRITTEN);
        return text(tree);
    }

    /** Writes {@link #json(TrainSpec)} to {@code file}. */
    public static void write(TrainSpec spec, Path file) {
        writeFile(json(spec), file);
    }

    /** Writes {@link #json(EvalSpec)} to {@code file}. */
    public static void write(EvalSpec spec, Path file) {
        writeFile(json(spec), file);
    }

    private static void putLora(ObjectNode method, TrainSpec.Lora lora) {
        method.put("r", lora.r());
        method.put("alpha", lora.alpha());
        method.put("dropout", lora.dropout());
        lora.targetModules().forEach(method.putArray("target_modules")::add);
        method.put("use_rslora", lora.useRslora());
    }

    static ObjectNode tree(TrainSpec spec) {
        ObjectNode root = JSON.createObjectNode();
        putPath(root, "base_model", spec.baseModel());
        ObjectNode data = root.putObject("data");
        putPath(data, "train", spec.data().train());
        putPath(data, "validation", spec.data().validation());
        data.put("format", spec.data().format().wireName());
        ObjectNode method = root.putObject("method");
        switch (spec.method()) {
            case TrainSpec.Lora lora -> {
                method.put("type", "lora");
                putLora(method, lora);
            }
            case TrainSpec.Full full -> method.put("type", "full");
            case TrainSpec.Dpo dpo -> {
                method.put("type", "dpo");
                putLora(method, dpo.lora());
                method.put("beta", dpo.beta());
                method.put("label_smoothing", dpo.labelSmoothing());
            }
            case TrainSpec.Qlora qlora -> {
                method.put("type", "qlora");
                putLora(method, qlora.lora());
                method.put("double_quant", qlora.doubleQuant());
            }
            case TrainSpec.PromptTuning prompt -> {
                method.put("type", "prompt_tuning");
                method.put("num_virtual_tokens", prompt.numVirtualTokens());
                method.put("init", prompt.init().wireName());
                if (prompt.initText() != null) {
                    method.put("init_text", prompt.initText());
                }
            }
            case TrainSpec.PrefixTuning prefix -> {
                method.put("type", "prefix_tuning");
                method.put("num_virtual_tokens", prefix.numVirtualTokens());
                method.put("prefix_projection", prefix.prefixProjection());
                putInteger(method, "encoder_hidden_size", prefix.encoderHiddenSize());
            }
        }
        root.set("hyperparameters", hyperparameters(spec.hyperparameters()));
        putInteger(root, "eval_steps", spec.evalSteps());
        putInteger(root, "early_stopping_patience", spec.earlyStoppingPatience());
        if (spec.saveSteps() == null) {
            root.putNull("save_steps");
        } else {
            root.put("save_steps", spec.saveSteps());
        }
        putPath(root, "resume_from", spec.resumeFrom());
        putPath(root, "output_dir", spec.outputDir());
        root.put("device", spec.device());
        root.put("precision", spec.precision().wireName());
        return root;
    }

    private static ObjectNode hyperparameters(TrainSpec.Hyperparameters hp) {
        ObjectNode h = JSON.createObjectNode();
        h.put("epochs", hp.epochs());
        putInteger(h, "max_steps", hp.maxSteps());
        h.put("batch_size", hp.batchSize());
        h.put("gradient_accumulation_steps", hp.gradientAccumulationSteps());
        h.put("learning_rate", hp.learningRate());
        h.put("lr_scheduler", hp.lrScheduler().wireName());
        if (hp.warmupSteps() != null) {
            h.put("warmup_steps", hp.warmupSteps());
        } else {
            h.put("warmup_ratio", hp.warmupRatio());
        }
        h.put("weight_decay", hp.weightDecay());
        h.put("max_grad_norm", hp.maxGradNorm());
        h.put("max_seq_length", hp.maxSeqLength());
        h.put("packing", hp.packing());
        h.put("seed", hp.seed());
        h.put("gradient_checkpointing", hp.gradientCheckpointing());
        return h;
    }

    static ObjectNode tree(EvalSpec spec) {
        ObjectNode root = JSON.createObjectNode();
        putPath(root, "base_model", spec.baseModel());
        putPath(root, "adapter", spec.adapter());
        ObjectNode data = root.putObject("data");
        putPath(data, "file", spec.data());
        data.put("format", spec.format().wireName());
        root.put("max_seq_length", spec.maxSeqLength());
        GenerationParams g = spec.generation();
        root.put("max_new_tokens", g.maxNewTokens());
        root.put("temperature", g.temperature());
        root.put("top_p", g.topP());
        putInteger(root, "top_k", g.topK());
        if (g.seed() != null) {
            root.put("seed", g.seed());
        }
        if (!g.stop().isEmpty()) {
            g.stop().forEach(root.putArray("stop")::add);
        }
        putPath(root, "output", spec.output());
        root.put("device", spec.device());
        return root;
    }

    private static void putPath(ObjectNode node, String name, Path path) {
        if (path != null) {
            node.put(name, path.toString());
        }
    }

    private static void putInteger(ObjectNode node, String name, Integer value) {
        if (value != null) {
            node.put(name, value);
        }
    }

    private static String text(ObjectNode tree) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree that cannot be written", e);
        }
    }

    private static void writeFile(String json, Path file) {
        try {
            Files.writeString(file, json);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the spec " + file, e);
        }
    }
}
