package dev.tuneforge.worker.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.adapter.Adapter;
import dev.tuneforge.worker.adapter.AdapterFiles;
import dev.tuneforge.worker.model.Linear;
import dev.tuneforge.worker.model.LinearAdapter;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.protocol.TrainSpec;
import dev.tuneforge.worker.safetensors.SafetensorsReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The LoRA adapters attached to a model's projections, and their PEFT form on disk:
 * {@code adapter_config.json} and {@code adapter_model.safetensors} with PEFT's tensor names
 * ({@code base_model.model.<module>.lora_A.weight}), so PEFT, transformers and vLLM load them as they are.
 */
public final class LoraModel implements Adapter {

    private static final String PREFIX = "base_model.model.";

    private final TrainSpec.Lora spec;
    private final Map<String, LoraAdapter> adapters;
    private final List<Linear> targets;

    private LoraModel(TrainSpec.Lora spec, Map<String, LoraAdapter> adapters, List<Linear> targets) {
        this.spec = spec;
        this.adapters = adapters;
        this.targets = targets;
    }

    /**
     * Attaches fresh adapters to the targeted projections: A uniform in {@code ±1/sqrt(in)} (PEFT's
     * {@code kaiming_uniform_(a=sqrt(5))}), drawn from {@code seed} so a run is reproducible, B zero.
     */
    public static LoraModel attach(LlamaModel model, TrainSpec.Lora spec, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        NDManager manager = model.manager();
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        List<Linear> targets = targets(model, spec.targetModules());
        for (Linear target : targets) {
            int in = Math.toIntExact(target.inFeatures());
            float[] values = new float[spec.r() * in];
            double bound = 1.0 / Math.sqrt(in);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextDouble(-bound, bound);
            }
            NDArray a = manager.create(values, new Shape(spec.r(), in)).toType(model.dataType(), false);
            NDArray b = manager.zeros(new Shape(target.outFeatures(), spec.r()), model.dataType());
            adapters.put(target.name(), attachTo(target, a, b, spec));
        }
        return new LoraModel(spec, adapters, targets);
    }

    private static LoraAdapter attachTo(Linear target, NDArray a, NDArray b, TrainSpec.Lora spec) {
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        LoraAdapter adapter = new LoraAdapter(a, b, spec.scaling(), spec.dropout());
        LinearAdapter previous = target.setAdapter(adapter);
        if (previous != null) {
            previous.close();
        }
        return adapter;
    }

    /** The projections a target list selects; PEFT matches module names by their last component. */
    public static List<Linear> targets(LlamaModel model, List<String> targetModules) {
        boolean all = targetModules.contains("all-linear");
        List<Linear> out = new ArrayList<>();
        for (Linear l : model.projections()) {
            String leaf = l.name().substring(l.name().lastIndexOf('.') + 1);
            if (all || targetModules.contains(leaf)) {
                out.add(l);
            }
        }
        return out;
    }

    /** Reads a PEFT adapter directory and attaches it to {@code model} (for evaluation or serving). */
    public static LoraModel load(LlamaModel model, Path dir) {
        JsonNode config = AdapterFiles.readConfig(dir, "LORA");
        List<String> modules = new ArrayList<>();
        JsonNode targetNode = config.path("target_modules");
        if (targetNode.isTextual()) {
            modules.add(targetNode.asText());
        } else {
            targetNode.forEach(t -> modules.add(t.asText()));
        }
        int r = config.path("r").asInt();
        TrainSpec.Lora spec = new TrainSpec.Lora(r, config.path("lora_alpha").asDouble(r),
                config.path("lora_dropout").asDouble(0), modules, config.path("use_rslora").asBoolean(false));
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        List<Linear> targets = targets(model, modules);
        try (SafetensorsReader weights = SafetensorsReader.open(dir.resolve(AdapterFiles.WEIGHTS_FILE))) {
            for (Linear target : targets) {
                NDArray a = read(model, weights, PREFIX + target.name() + ".lora_A.weight", r, target.inFeatures());
                NDArray b = read(model, weights, PREFIX + target.name() + ".lora_B.weight", target.outFeatures(), r);
                adapters.put(target.name(), attachTo(target, a, b, spec));
            }
        }
        return new LoraModel(spec, adapters, targets);
    }

    private static NDArray read(LlamaModel model, SafetensorsReader weights, String name, long rows, long cols) {
        if (!weights.contains(name)) {
            throw new IllegalArgumentException("the adapter lacks " + name);
        }
        long[] shape = weights.info(name).shape();
        if (shape.length != 2 || shape[0] != rows || shape[1] != cols) {
            throw new IllegalArgumentException(name + " has shape " + java.util.Arrays.toString(shape) + ", expected ["
                    + rows + ", " + cols + "]");
        }
        return model.manager().create(weights.floats(name), new Shape(rows, cols)).toType(model.dataType(), false);
    }

    /** The trainable tensors under their PEFT names, A before B for each module, in model order. */
    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        adapters.forEach((module, adapter) -> {
            out.put(PREFIX + module + ".lora_A.weight", adapter.a());
            out.put(PREFIX + module + ".lora_B.weight", adapter.b());
        });
        return out;
    }

    @Override
    public void setTraining(boolean training) {
        adapters.values().forEach(a -> a.setTraining(training));
    }

    /** Writes the PEFT adapter directory. */
    @Override
    public void save(Path dir, String baseModelNameOrPath) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", baseModelNameOrPath);
        c.put("r", spec.r());
        c.put("lora_alpha", spec.alpha());
        c.put("lora_dropout", spec.dropout());
        // Saved as the module names that were matched, sorted: PEFT reads a list as suffixes.
        c.putPOJO("target_modules", adapters.keySet().stream()
                .map(n -> n.substring(n.lastIndexOf('.') + 1)).distinct().sorted().toList());
        c.put("use_rslora", spec.useRslora());
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.putNull("modules_to_save");
        AdapterFiles.write(dir, c, parameters());
    }

    public TrainSpec.Lora spec() {
        return spec;
    }

    /** Detaches and frees the adapters. */
    @Override
    public void close() {
        for (Linear target : targets) {
            LinearAdapter attached = target.setAdapter(null);
            if (attached != null) {
                attached.close();
            }
        }
        adapters.clear();
    }
}
