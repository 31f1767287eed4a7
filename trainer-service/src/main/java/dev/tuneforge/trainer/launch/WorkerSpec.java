package dev.tuneforge.trainer.launch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.events.EventCodec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The worker's {@code spec.json} (docs/WORKER_PROTOCOL.md) for a job's resolved recipe: the same document
 * for every runtime and launcher. Paths are relative to the attempt's work directory.
 */
public final class WorkerSpec {

    /** Recipe values that go under {@code hyperparameters} as they are. */
    private static final List<String> HYPERPARAMETERS = List.of("epochs", "max_steps", "batch_size",
            "gradient_accumulation_steps", "learning_rate", "lr_scheduler", "weight_decay", "max_grad_norm",
            "max_seq_length", "packing", "seed");
    private static final Set<String> TOP_LEVEL = Set.of("eval_steps", "early_stopping_patience", "save_steps");

    private WorkerSpec() {
    }

    /**
     * @param baseModel     the staged base model directory
     * @param validation    the staged validation file, or null
     * @param resumeFrom    the staged checkpoint to continue from, or null
     */
    public static ObjectNode train(String method, Map<String, Object> recipe, Path baseModel, Path train,
                                   Path validation, Path resumeFrom, String device) {
        ObjectNode spec = EventCodec.mapper().createObjectNode();
        spec.put("base_model", baseModel.toString());
        ObjectNode data = spec.putObject("data");
        data.put("train", train.toString());
        if (validation != null) {
            data.put("validation", validation.toString());
        }
        data.put("format", "chat");
        ObjectNode m = spec.putObject("method");
        m.put("type", method);
        if (method.equals("lora")) {
            m.set("r", EventCodec.mapper().valueToTree(recipe.get("lora_r")));
            m.set("alpha", EventCodec.mapper().valueToTree(recipe.get("lora_alpha")));
            m.set("dropout", EventCodec.mapper().valueToTree(recipe.get("lora_dropout")));
            m.set("target_modules", EventCodec.mapper().valueToTree(recipe.get("target_modules")));
            m.set("use_rslora", EventCodec.mapper().valueToTree(recipe.get("use_rslora")));
        }
        ObjectNode h = spec.putObject("hyperparameters");
        for (String name : HYPERPARAMETERS) {
            if (recipe.containsKey(name)) {
                h.set(name, EventCodec.mapper().valueToTree(recipe.get(name)));
            }
        }
        if (recipe.containsKey("warmup_steps")) {
            h.set("warmup_steps", EventCodec.mapper().valueToTree(recipe.get("warmup_steps")));
        } else {
            h.set("warmup_ratio", EventCodec.mapper().valueToTree(recipe.get("warmup_ratio")));
        }
        for (String name : TOP_LEVEL) {
            boolean needsValidation = !name.equals("save_steps");
            if (recipe.containsKey(name) && (validation != null || !needsValidation)) {
                spec.set(name, EventCodec.mapper().valueToTree(recipe.get(name)));
            }
        }
        if (resumeFrom != null) {
            spec.put("resume_from", resumeFrom.toString());
        }
        spec.put("output_dir", "out");
        spec.put("device", device);
        spec.put("precision", "fp32");
        return spec;
    }
}
