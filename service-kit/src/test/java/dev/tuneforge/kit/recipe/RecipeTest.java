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

        assertTrue(assertThrows(RecipeException.class, () -> Recipe.resolve("qlora", Map.of(), 1, null))
                .getMessage().contains("method: must be one of lora, full, dpo, got 'qlora'"));
        assertTrue(assertThrows(RecipeException.class, () -> Recipe.resolve("full", Map.of("lora_r", 4), 1, null))
                .getMessage().contains("hyperparameters.lora_r: only applies to methods lora and dpo"));
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
    void stepsAreEstimatedFromTheResolvedValues() {
        Recipe r = Recipe.resolve("lora", Map.of("epochs", 2, "batch_size", 4), 10, null);
        assertEquals(6, r.estimatedSteps(10), "3 steps per epoch");
        assertEquals(7, Recipe.resolve("lora", Map.of("max_steps", 7), 10, null).estimatedSteps(10));
    }
}
