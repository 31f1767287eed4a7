package dev.tuneforge.kit.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecipeTest {

    private static final Recipe.BaseModelShape TINY = new Recipe.BaseModelShape(64, 256);

    @Test
    void defaultsAndAutoFollowOpenAi() {
        Recipe small = Recipe.resolve("lora", Map.of(), 20, TINY);
        assertEquals(5, small.integer("epochs"), "20 examples: raised to see at least 100");
        assertEquals(1, small.integer("batch_size"));
        assertEquals(8, small.integer("lora_r"));
        assertEquals(16.0, small.decimal("lora_alpha"));
        assertEquals(256, small.integer("max_seq_length"), "capped by the model's context");

        Recipe large = Recipe.resolve("full", Map.of("epochs", "auto", "batch_size", "auto"), 20_000, null);
        assertEquals(1, large.integer("epochs"), "20,000 examples: at most 25,000 seen");
        assertEquals(32, large.integer("batch_size"));
        assertEquals(2.0e-5, large.decimal("learning_rate"));
        assertEquals(Recipe.resolve("lora", Map.of(), 1000, null).integer("epochs"), 3);
    }

    @Test
    void everyWrongFieldIsNamed() {
        RecipeException e = assertThrows(RecipeException.class, () -> Recipe.resolve("lora",
                Map.of("lora_r", 128, "learning_rate", -1, "epochs", 2.5, "rank", 4,
                        "target_modules", List.of("q_proj", "qkv")), 100, TINY));
        String m = e.getMessage();
        assertTrue(m.contains("hyperparameters.lora_r: must be <= the base model's hidden size 64, got 128"), m);
        assertTrue(m.contains("hyperparameters.learning_rate: must be > 0.0 and <= 1.0, got -1"), m);
        assertTrue(m.contains("hyperparameters.epochs: must be an integer, got 2.5"), m);
        assertTrue(m.contains("hyperparameters.rank: unknown hyperparameter"), m);
        assertTrue(m.contains("hyperparameters.target_modules[1]: unknown module 'qkv'"), m);
        assertEquals(5, e.errors().size());

        assertTrue(assertThrows(RecipeException.class, () -> Recipe.resolve("adapter", Map.of(), 1, null))
                .getMessage().contains("method: must be one of lora, full, dpo, qlora, prompt_tuning, prefix_tuning, "
                        + "got 'adapter'"));
        assertTrue(assertThrows(RecipeException.class, () -> Recipe.resolve("full", Map.of("lora_r", 4), 1, null))
                .getMessage().contains("hyperparameters.lora_r: only applies to methods lora, dpo, qlora"));
    }

    @Test
    void dpoIsALoraAdapterWithABetaAndALabelSmoothing() {
        Recipe dpo = Recipe.resolve("dpo", Map.of("lora_r", 4), 200, TINY);
        assertEquals(4, dpo.integer("lora_r"));
        assertEquals(8.0, dpo.decimal("lora_alpha"));
        assertEquals(0.1, dpo.decimal("beta"), "TRL's default");
        assertEquals(0.0, dpo.decimal("label_smoothing"));
        assertEquals(2.0e-4, dpo.decimal("learning_rate"), "LoRA's learning rate");
        Recipe given = Recipe.resolve("dpo", Map.of("beta", 0.5, "label_smoothing", 0.2), 200, TINY);
        assertEquals(0.5, given.decimal("beta"));
        assertEquals(0.2, given.decimal("label_smoothing"));
    }

    @Test
    void aWrongBetaOrLabelSmoothingIsNamedAndOtherMethodsRefuseThem() {
        RecipeException wrong = assertThrows(RecipeException.class, () -> Recipe.resolve("dpo",
                Map.of("beta", 0, "label_smoothing", 0.5), 200, TINY));
        assertEquals(List.of("hyperparameters.beta: must be > 0.0 and <= 1000000.0, got 0",
                "hyperparameters.label_smoothing: must be below 0.5, got 0.5"), wrong.errors());
        assertTrue(assertThrows(RecipeException.class, () -> Recipe.resolve("dpo", Map.of("beta", "high"), 1, null))
                .getMessage().contains("hyperparameters.beta: must be a number, got 'high'"));
        assertEquals(List.of("hyperparameters.beta: only applies to method dpo"), assertThrows(RecipeException.class,
                () -> Recipe.resolve("lora", Map.of("beta", 0.1), 1, null)).errors());
        assertEquals(List.of("hyperparameters.label_smoothing: only applies to method dpo"),
                assertThrows(RecipeException.class, () -> Recipe.resolve("full", Map.of("label_smoothing", 0.1), 1,
                        null)).errors());
    }

    @Test
    void dpoTrainsOnPreferencePairsAndOnlyDpoDoes() {
        assertEquals(Optional.empty(), Recipe.dataProblem("dpo", "preference"));
        assertEquals(Optional.empty(), Recipe.dataProblem("lora", "chat"));
        assertEquals(Optional.empty(), Recipe.dataProblem("dpo", null), "a format not known is not refused");
        assertTrue(Recipe.dataProblem("dpo", "chat").orElseThrow().startsWith("dpo trains on preference pairs"));
        assertTrue(Recipe.dataProblem("dpo", "chat").orElseThrow().endsWith("the dataset holds chat examples"));
        assertEquals(Optional.of("full cannot train on preference pairs; use method dpo"),
                Recipe.dataProblem("full", "preference"));
    }

    @Test
    void qloraIsALoraAdapterWithDoubleQuantisationByDefault() {
        Recipe qlora = Recipe.resolve("qlora", Map.of("lora_r", 4), 200, TINY);
        assertEquals(4, qlora.integer("lora_r"));
        assertEquals(8.0, qlora.decimal("lora_alpha"));
        assertEquals(true, qlora.resolved().get("double_quant"));
        assertEquals(2.0e-4, qlora.decimal("learning_rate"), "LoRA's learning rate");
        assertEquals(false, Recipe.resolve("qlora", Map.of("double_quant", false), 200, TINY).resolved()
                .get("double_quant"));
        assertEquals(List.of("hyperparameters.double_quant: must be true or false, got 'yes'"),
                assertThrows(RecipeException.class, () -> Recipe.resolve("qlora", Map.of("double_quant", "yes"), 1,
                        null)).errors());
        assertEquals(List.of("hyperparameters.double_quant: only applies to method qlora"),
                assertThrows(RecipeException.class, () -> Recipe.resolve("lora", Map.of("double_quant", true), 1,
                        null)).errors());
    }

    @Test
    void promptTuningTrainsVirtualTokensWithAFarHigherLearningRateAndNoLoraFields() {
        Recipe prompt = Recipe.resolve("prompt_tuning", Map.of(), 200, TINY);
        assertEquals(20, prompt.integer("num_virtual_tokens"));
        assertEquals("random", prompt.resolved().get("init"));
        assertEquals(3.0e-2, prompt.decimal("learning_rate"), "PEFT's prompt-tuning example");
        assertEquals(236, prompt.integer("max_seq_length"), "the model's 256 positions less the 20 virtual tokens");
        assertEquals(false, prompt.resolved().containsKey("lora_r"));
        Recipe text = Recipe.resolve("prompt_tuning", Map.of("num_virtual_tokens", 8, "init", "text",
                "init_text", "Classify the ticket."), 200, TINY);
        assertEquals(8, text.integer("num_virtual_tokens"));
        assertEquals("Classify the ticket.", text.resolved().get("init_text"));

        assertEquals(List.of("hyperparameters.init_text: required with init \"text\": the text whose token "
                + "embeddings start the prompt"), assertThrows(RecipeException.class, () -> Recipe.resolve(
                        "prompt_tuning", Map.of("init", "text"), 1, null)).errors());
        assertEquals(List.of("hyperparameters.init_text: only applies with init \"text\""),
                assertThrows(RecipeException.class, () -> Recipe.resolve("prompt_tuning", Map.of("init_text", "Hi"),
                        1, null)).errors());
        RecipeException wrong = assertThrows(RecipeException.class, () -> Recipe.resolve("prompt_tuning",
                Map.of("num_virtual_tokens", 0, "lora_r", 8, "packing", true, "max_seq_length", 250), 200, TINY));
        assertEquals(List.of("hyperparameters.lora_r: only applies to methods lora, dpo, qlora",
                "hyperparameters.num_virtual_tokens: must be between 1 and 1024, got 0",
                "hyperparameters.max_seq_length: must be <= the base model's max_position_embeddings 256 less "
                        + "num_virtual_tokens 20 (the example's positions follow the virtual tokens'), 236, got 250",
                "hyperparameters.packing: prompt_tuning puts its virtual tokens before every example, so it cannot "
                        + "pack examples together; leave packing out"), wrong.errors());
        assertEquals(List.of("hyperparameters.num_virtual_tokens: only applies to methods prompt_tuning and "
                + "prefix_tuning"), assertThrows(RecipeException.class, () -> Recipe.resolve("lora",
                        Map.of("num_virtual_tokens", 4), 1, null)).errors());
    }

    @Test
    void prefixTuningTakesAProjectionWhoseWidthOnlyAppliesWithIt() {
        Recipe prefix = Recipe.resolve("prefix_tuning", Map.of("num_virtual_tokens", 10), 200, TINY);
        assertEquals(10, prefix.integer("num_virtual_tokens"));
        assertEquals(false, prefix.resolved().get("prefix_projection"));
        assertEquals(false, prefix.resolved().containsKey("encoder_hidden_size"), "the worker's default");
        assertEquals(1.0e-2, prefix.decimal("learning_rate"), "PEFT's prefix-tuning example");
        Recipe projected = Recipe.resolve("prefix_tuning", Map.of("prefix_projection", true,
                "encoder_hidden_size", 32), 200, TINY);
        assertEquals(32, projected.integer("encoder_hidden_size"));
        assertEquals(List.of("hyperparameters.encoder_hidden_size: only applies with prefix_projection true"),
                assertThrows(RecipeException.class, () -> Recipe.resolve("prefix_tuning",
                        Map.of("encoder_hidden_size", 32), 1, null)).errors());
        assertEquals(List.of("hyperparameters.init: only applies to method prompt_tuning"),
                assertThrows(RecipeException.class, () -> Recipe.resolve("prefix_tuning", Map.of("init", "text"), 1,
                        null)).errors());
    }

    @Test
    void qloraAndPrefixTuningNeedTheTorchRuntimeNamed() {
        assertEquals(Optional.empty(), Recipe.runtimeProblem("qlora", "torch"));
        assertEquals(Optional.empty(), Recipe.runtimeProblem("prompt_tuning", "djl"), "both runtimes have it");
        assertEquals(Optional.empty(), Recipe.runtimeProblem("lora", null));
        assertEquals(Optional.of("method prefix_tuning runs only on the torch runtime, got 'djl'"),
                Recipe.runtimeProblem("prefix_tuning", "djl"));
        assertTrue(Recipe.runtimeProblem("qlora", null).orElseThrow().startsWith("method qlora runs only on the "
                + "torch runtime, got none (trainer-service's default"));
    }

    @Test
    void aMixNamesAGeneralDatasetAndAFractionUpToNineTenths() {
        Recipe mixed = Recipe.resolve("lora", Map.of("mix", Map.of("dataset_id", "ds_general", "fraction", 0.2)), 100,
                TINY);
        assertEquals(Map.of("dataset_id", "ds_general", "fraction", 0.2), mixed.resolved().get("mix"));
        Recipe.Mix mix = Recipe.Mix.of(mixed.resolved()).orElseThrow();
        assertEquals(new Recipe.Mix("ds_general", null, 0.2), mix);
        assertEquals(25, mix.generalExamples(100), "100 task examples are 80% of 125");
        assertEquals(900, new Recipe.Mix("g", 1, 0.9).generalExamples(100));
        assertEquals(Map.of("dataset_id", "ds_general", "dataset_version", 3, "fraction", 0.2, "task_examples", 10L,
                "general_examples", 3L), mix.pinned(3, 10L), "round(10 * 0.2 / 0.8) = round(2.5)");
        assertEquals(Optional.empty(), Recipe.Mix.of(Recipe.resolve("lora", Map.of(), 100, TINY).resolved()));

        assertEquals(List.of("hyperparameters.mix.colour: unknown field (known: dataset_id, dataset_version, fraction)",
                "hyperparameters.mix.dataset_id: required, the id of a training dataset of this project, got null",
                "hyperparameters.mix.dataset_version: must be an integer >= 1, got 0",
                "hyperparameters.mix.fraction: must be > 0 and <= 0.9 (the share of every epoch's examples from the "
                        + "general dataset), got 0.95"),
                assertThrows(RecipeException.class, () -> Recipe.resolve("lora", Map.of("mix", new java.util.TreeMap<>(
                        Map.of("colour", "red", "dataset_version", 0, "fraction", 0.95))), 1, null)).errors());
        assertEquals(List.of("hyperparameters.mix: must be an object {\"dataset_id\", \"dataset_version\" "
                + "(optional), \"fraction\"}, got 'ds_general'"), assertThrows(RecipeException.class,
                () -> Recipe.resolve("lora", Map.of("mix", "ds_general"), 1, null)).errors());
        assertTrue(assertThrows(RecipeException.class, () -> Recipe.resolve("lora", Map.of("mix",
                Map.of("dataset_id", "g", "fraction", 0)), 1, null)).getMessage().contains("got 0"));
    }

    @Test
    void aGeneralDatasetMustBePreferencePairsExactlyWhenTheJobsDataIs() {
        assertEquals(Optional.empty(), Recipe.mixProblem("chat", "alpaca"), "both read as chat");
        assertEquals(Optional.empty(), Recipe.mixProblem("preference", "preference"));
        assertEquals(Optional.empty(), Recipe.mixProblem(null, "preference"), "a format not known is not refused");
        assertEquals(Optional.of("the general dataset holds preference examples and the job's chat examples; both "
                + "must be preference pairs or neither"), Recipe.mixProblem("chat", "preference"));
    }

    @Test
    void stepsAreEstimatedFromTheResolvedValues() {
        Recipe r = Recipe.resolve("lora", Map.of("epochs", 2, "batch_size", 4), 10, null);
        assertEquals(6, r.estimatedSteps(10), "3 steps per epoch");
        assertEquals(7, Recipe.resolve("lora", Map.of("max_steps", 7), 10, null).estimatedSteps(10));
    }
}
