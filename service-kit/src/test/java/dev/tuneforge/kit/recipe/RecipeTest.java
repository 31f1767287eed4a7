package dev.tuneforge.kit.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
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
                .getMessage().contains("method: must be one of lora, full, got 'qlora'"));
        assertTrue(assertThrows(RecipeException.class, () -> Recipe.resolve("full", Map.of("lora_r", 4), 1, null))
                .getMessage().contains("hyperparameters.lora_r: only applies to method lora"));
    }

    @Test
    void stepsAreEstimatedFromTheResolvedValues() {
        Recipe r = Recipe.resolve("lora", Map.of("epochs", 2, "batch_size", 4), 10, null);
        assertEquals(6, r.estimatedSteps(10), "3 steps per epoch");
        assertEquals(7, Recipe.resolve("lora", Map.of("max_steps", 7), 10, null).estimatedSteps(10));
    }
}
