package dev.tuneforge.trainer.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.kit.recipe.Recipe;
import dev.tuneforge.worker.protocol.DataFormat;
import dev.tuneforge.worker.protocol.SpecReader;
import dev.tuneforge.worker.protocol.SpecWriter;
import dev.tuneforge.worker.protocol.TrainSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A job's resolved recipe as the worker's spec: a plain unit test, the stack tests run the worker on it. */
class WorkerSpecTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path BASE = Path.of("models/base");
    private static final Path TRAIN = Path.of("data/train.jsonl");
    private static final Path VALIDATION = Path.of("data/validation.jsonl");

    private static Map<String, Object> resolved(String method, Map<String, Object> hyperparameters) {
        return Recipe.resolve(method, hyperparameters, 100, new Recipe.BaseModelShape(128, 512)).resolved();
    }

    @Test
    void aLoraRecipeBecomesTheSpecItSaysAndTheWorkerReadsItBack() throws Exception {
        Map<String, Object> recipe = resolved("lora", Map.of("lora_r", 8, "target_modules", "all-linear",
                "max_steps", 40, "warmup_steps", 4, "eval_steps", 10, "early_stopping_patience", 2));
        TrainSpec spec = WorkerSpec.train("lora", recipe, BASE, TRAIN, VALIDATION, null, "cuda");
        TrainSpec.Lora lora = assertInstanceOf(TrainSpec.Lora.class, spec.method());
        assertEquals(8, lora.r());
        assertEquals(16.0, lora.alpha());
        assertEquals(List.of("all-linear"), lora.targetModules());
        assertEquals(40, spec.hyperparameters().maxSteps());
        assertEquals(4, spec.hyperparameters().warmupSteps());
        assertEquals(TrainSpec.LrScheduler.LINEAR, spec.hyperparameters().lrScheduler());
        assertEquals(10, spec.evalSteps());
        assertEquals(2, spec.earlyStoppingPatience());
        assertEquals(Path.of("out"), spec.outputDir());
        assertEquals(spec, SpecReader.train(JSON.readTree(SpecWriter.json(spec)), Path.of("")));
    }

    @Test
    void aDpoRecipeTrainsALoraAdapterWithItsBetaOnPreferencePairs() throws Exception {
        Map<String, Object> recipe = resolved("dpo", Map.of("lora_r", 4, "beta", 0.25, "label_smoothing", 0.1));
        TrainSpec spec = WorkerSpec.train("dpo", recipe, BASE, TRAIN, VALIDATION, null, "cpu");
        TrainSpec.Dpo dpo = assertInstanceOf(TrainSpec.Dpo.class, spec.method());
        assertEquals(0.25, dpo.beta());
        assertEquals(0.1, dpo.labelSmoothing());
        assertEquals(4, dpo.lora().r());
        assertEquals(8.0, dpo.lora().alpha());
        assertEquals(List.of("q_proj", "v_proj"), dpo.lora().targetModules());
        assertEquals(DataFormat.PREFERENCE, spec.data().format());
        assertEquals(spec, SpecReader.train(JSON.readTree(SpecWriter.json(spec)), Path.of("")),
                "the worker reads it back: dpo on preference data");
        assertEquals(DataFormat.CHAT, WorkerSpec.train("lora", resolved("lora", Map.of()), BASE, TRAIN, null, null,
                "cpu").data().format());
    }

    @Test
    void aQloraRecipeIsALoraAdapterWithItsDoubleQuantisation() throws Exception {
        Map<String, Object> recipe = resolved("qlora", Map.of("lora_r", 4, "double_quant", false));
        TrainSpec spec = WorkerSpec.train("qlora", recipe, BASE, TRAIN, VALIDATION, null, "cuda");
        TrainSpec.Qlora qlora = assertInstanceOf(TrainSpec.Qlora.class, spec.method());
        assertEquals(false, qlora.doubleQuant());
        assertEquals(4, qlora.lora().r());
        assertEquals(8.0, qlora.lora().alpha());
        assertEquals(DataFormat.CHAT, spec.data().format());
        assertEquals(spec, SpecReader.train(JSON.readTree(SpecWriter.json(spec)), Path.of("")));
    }

    @Test
    void aPromptTuningRecipeStartsItsVirtualTokensFromTheTextItGives() throws Exception {
        Map<String, Object> recipe = resolved("prompt_tuning", Map.of("num_virtual_tokens", 8, "init", "text",
                "init_text", "Answer in JSON."));
        TrainSpec spec = WorkerSpec.train("prompt_tuning", recipe, BASE, TRAIN, VALIDATION, null, "cpu");
        assertEquals(new TrainSpec.PromptTuning(8, TrainSpec.PromptInit.TEXT, "Answer in JSON."), spec.method());
        assertEquals(3.0e-2, spec.hyperparameters().learningRate());
        assertEquals(504, spec.hyperparameters().maxSeqLength(), "512 positions less 8 virtual tokens");
        assertEquals(spec, SpecReader.train(JSON.readTree(SpecWriter.json(spec)), Path.of("")));
        assertEquals(new TrainSpec.PromptTuning(20, TrainSpec.PromptInit.RANDOM, null), WorkerSpec.train(
                "prompt_tuning", resolved("prompt_tuning", Map.of()), BASE, TRAIN, null, null, "cpu").method());
    }

    @Test
    void aPrefixTuningRecipeKeepsItsProjectionAndLeavesItsWidthToTheWorkerWhenNotGiven() throws Exception {
        TrainSpec spec = WorkerSpec.train("prefix_tuning", resolved("prefix_tuning", Map.of("num_virtual_tokens", 10,
                "prefix_projection", true, "encoder_hidden_size", 64)), BASE, TRAIN, VALIDATION, null, "cuda");
        assertEquals(new TrainSpec.PrefixTuning(10, true, 64), spec.method());
        assertEquals(spec, SpecReader.train(JSON.readTree(SpecWriter.json(spec)), Path.of("")));
        assertEquals(new TrainSpec.PrefixTuning(20, false, null), WorkerSpec.train("prefix_tuning",
                resolved("prefix_tuning", Map.of()), BASE, TRAIN, null, null, "cuda").method());
    }

    @Test
    void aMethodWithoutAWorkerMethodIsRefusedNotTrainedAsLora() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WorkerSpec.train("ia3",
                resolved("lora", Map.of()), BASE, TRAIN, null, null, "cpu"));
        assertEquals("no worker method for recipe method 'ia3' (Recipe.METHODS and this switch disagree)",
                e.getMessage());
    }

    @Test
    void withoutValidationDataPeriodicValidationAndEarlyStoppingAreLeftOut() throws Exception {
        Map<String, Object> recipe = resolved("full", Map.of("eval_steps", 10, "early_stopping_patience", 2));
        TrainSpec spec = WorkerSpec.train("full", recipe, BASE, TRAIN, null, Path.of("resume/checkpoint-50"), "cpu");
        assertInstanceOf(TrainSpec.Full.class, spec.method());
        assertNull(spec.evalSteps());
        assertNull(spec.earlyStoppingPatience());
        assertEquals(50, spec.saveSteps(), "the recipe's default");
        assertEquals(Path.of("resume/checkpoint-50"), spec.resumeFrom());
        assertEquals(spec, SpecReader.train(JSON.readTree(SpecWriter.json(spec)), Path.of("")));
    }
}
