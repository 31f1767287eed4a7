package dev.tuneforge.trainer.launch;

import dev.tuneforge.kit.recipe.Recipe;
import dev.tuneforge.worker.protocol.DataFormat;
import dev.tuneforge.worker.protocol.SpecReader;
import dev.tuneforge.worker.protocol.TrainSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The worker's {@code spec.json} (docs/WORKER_PROTOCOL.md) for a job's resolved recipe, as a {@link TrainSpec}: the
 * same spec for every runtime and launcher, written with {@code SpecWriter}. Paths are relative to the attempt's work
 * directory. Early stopping and periodic validation need validation data, so without it they are left out. A dpo
 * recipe trains a LoRA adapter with its {@code beta} and {@code label_smoothing} on the split's preference pairs
 * ({@link DataFormat#PREFERENCE}: the trainer has checked that the dataset holds pairs); every other recipe reads the
 * split as chat, the form dataset-service normalises every other format to. Each of {@link Recipe#METHODS} has its
 * own {@link TrainSpec.Method}; a method name without one is a programming error, never read as LoRA.
 */
public final class WorkerSpec {

    /** Where the worker writes checkpoints and outputs, relative to its work directory. */
    static final Path OUTPUT_DIR = Path.of("out");

    private WorkerSpec() {
    }

    /**
     * @param resolved   the job's recipe as {@link Recipe#resolve} resolved it
     * @param baseModel  the staged base model directory
     * @param validation the staged validation file, or null
     * @param resumeFrom the staged checkpoint to continue from, or null
     */
    public static TrainSpec train(String method, Map<String, Object> resolved, Path baseModel, Path train,
                                  Path validation, Path resumeFrom, String device) {
        Recipe recipe = new Recipe(method, resolved);
        boolean validated = validation != null;
        Integer saveSteps = optionalInteger(resolved, "save_steps");
        DataFormat format = recipe.method().equals("dpo") ? DataFormat.PREFERENCE : DataFormat.CHAT;
        return new TrainSpec(baseModel, new TrainSpec.Data(train, validation, format), method(recipe),
                hyperparameters(recipe), validated ? optionalInteger(resolved, "eval_steps") : null,
                validated ? optionalInteger(resolved, "early_stopping_patience") : null,
                saveSteps == null ? SpecReader.DEFAULT_SAVE_STEPS : saveSteps, resumeFrom, OUTPUT_DIR, device,
                TrainSpec.Precision.FP32);
    }

    private static TrainSpec.Method method(Recipe recipe) {
        return switch (recipe.method()) {
            case "full" -> new TrainSpec.Full();
            case "lora" -> lora(recipe);
            case "dpo" -> new TrainSpec.Dpo(lora(recipe), recipe.decimal("beta"), recipe.decimal("label_smoothing"));
            case "qlora" -> new TrainSpec.Qlora(lora(recipe), flag(recipe.resolved(), "double_quant"));
            case "prompt_tuning" -> new TrainSpec.PromptTuning(recipe.integer("num_virtual_tokens"),
                    "text".equals(recipe.resolved().get("init")) ? TrainSpec.PromptInit.TEXT : TrainSpec.PromptInit.RANDOM,
                    (String) recipe.resolved().get("init_text"));
            case "prefix_tuning" -> new TrainSpec.PrefixTuning(recipe.integer("num_virtual_tokens"),
                    flag(recipe.resolved(), "prefix_projection"), optionalInteger(recipe.resolved(), "encoder_hidden_size"));
            default -> throw new IllegalArgumentException("no worker method for recipe method '" + recipe.method()
                    + "' (Recipe.METHODS and this switch disagree)");
        };
    }

    private static TrainSpec.Lora lora(Recipe recipe) {
        List<String> targets = ((List<?>) recipe.resolved().get("target_modules")).stream().map(String::valueOf)
                .toList();
        return new TrainSpec.Lora(recipe.integer("lora_r"), recipe.decimal("lora_alpha"),
                recipe.decimal("lora_dropout"), targets, flag(recipe.resolved(), "use_rslora"));
    }

    private static TrainSpec.Hyperparameters hyperparameters(Recipe recipe) {
        Map<String, Object> r = recipe.resolved();
        Integer warmupSteps = optionalInteger(r, "warmup_steps");
        return new TrainSpec.Hyperparameters(recipe.integer("epochs"), optionalInteger(r, "max_steps"),
                recipe.integer("batch_size"), recipe.integer("gradient_accumulation_steps"),
                recipe.decimal("learning_rate"), TrainSpec.LrScheduler.fromWireName((String) r.get("lr_scheduler")),
                warmupSteps, warmupSteps != null || !r.containsKey("warmup_ratio") ? 0.0 : recipe.decimal("warmup_ratio"),
                recipe.decimal("weight_decay"), recipe.decimal("max_grad_norm"), recipe.integer("max_seq_length"),
                flag(r, "packing"), ((Number) r.get("seed")).longValue(), false);
    }

    private static Integer optionalInteger(Map<String, Object> recipe, String name) {
        return recipe.get(name) instanceof Number n ? n.intValue() : null;
    }

    private static boolean flag(Map<String, Object> recipe, String name) {
        return Boolean.TRUE.equals(recipe.get(name));
    }
}
