package dev.tuneforge.kit.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Not a Quarkus test: how a search space becomes trials is pure. */
class SearchSpaceTest {

    private static Map<String, Object> space(Object... pairs) {
        Map<String, Object> space = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            space.put((String) pairs[i], pairs[i + 1]);
        }
        return space;
    }

    @Test
    void aGridIsTheCartesianProductWithTheFirstParameterVaryingSlowest() {
        List<SearchSpace.Trial> trials = SearchSpace.expand(space("learning_rate", List.of(1e-4, 3e-4),
                "lora_r", List.of(4, 8, 16)), "grid", null, 0);

        assertEquals(6, trials.size());
        assertEquals(Map.of("learning_rate", 1e-4, "lora_r", 4), trials.get(0).parameters());
        assertEquals(Map.of("learning_rate", 1e-4, "lora_r", 16), trials.get(2).parameters());
        assertEquals(Map.of("learning_rate", 3e-4, "lora_r", 4), trials.get(3).parameters());
        assertEquals(5, trials.get(5).index());
    }

    @Test
    void maxTrialsCutsTheGridToItsFirstTrials() {
        List<SearchSpace.Trial> trials = SearchSpace.expand(space("epochs", List.of(1, 2, 3),
                "method", List.of("lora", "full")), "grid", 4, 0);

        assertEquals(List.of(Map.of("epochs", 1, "method", "lora"), Map.of("epochs", 1, "method", "full"),
                Map.of("epochs", 2, "method", "lora"), Map.of("epochs", 2, "method", "full")),
                trials.stream().map(SearchSpace.Trial::parameters).toList());
        assertEquals("full", trials.get(1).method("lora"));
        assertEquals(Map.of("epochs", 1, "max_steps", 10), trials.get(1).hyperparameters(Map.of("max_steps", 10)));
    }

    @Test
    void randomDrawsAreTheSameForTheSameSeedAndStayInTheirRanges() {
        Map<String, Object> space = space("learning_rate", Map.of("min", 1e-5, "max", 1e-2, "log", true),
                "lora_r", Map.of("min", 4, "max", 8), "epochs", List.of(1, 2));

        List<SearchSpace.Trial> first = SearchSpace.expand(space, "random", 20, 7);
        List<SearchSpace.Trial> again = SearchSpace.expand(space, "random", 20, 7);
        List<SearchSpace.Trial> other = SearchSpace.expand(space, "random", 20, 8);

        assertEquals(first, again);
        assertTrue(!first.equals(other));
        assertEquals(20, first.size());
        for (SearchSpace.Trial t : first) {
            double lr = (Double) t.parameters().get("learning_rate");
            long r = (Long) t.parameters().get("lora_r");
            assertTrue(lr >= 1e-5 && lr <= 1e-2, t.toString());
            assertTrue(r >= 4 && r <= 8, t.toString());
            assertTrue(List.of(1, 2).contains(t.parameters().get("epochs")), t.toString());
        }
        assertEquals(5, first.stream().map(t -> t.parameters().get("lora_r")).distinct().count(),
                "twenty draws of 4..8 hit every integer");
    }

    @Test
    void aMisshapenSpaceIsRefusedNamingEveryPath() {
        RecipeException e = assertThrows(RecipeException.class, () -> SearchSpace.expand(space(
                "learning_rate", Map.of("min", 1e-3, "max", 1e-4), "lora_r", List.of(), "epochs", 3,
                "seed", Map.of("min", 0, "max", 1, "step", 1)), "random", 500, 0));

        assertEquals(List.of("max_trials: must be 1 to 100, got 500",
                "search_space.learning_rate: min 0.001 is above max 1.0E-4",
                "search_space.lora_r: must list at least one value",
                "search_space.epochs: must be a list of values or a range {min, max, log}",
                "search_space.seed.step: unknown (a range has min, max and log)"), e.errors());
        assertEquals(List.of("strategy: must be grid or random, got 'bayes'"),
                SearchSpace.shapeProblems(space("lora_r", List.of(4)), "bayes", null));
        assertEquals(List.of("search_space.lora_r: a range {min, max} needs strategy random; grid takes a list of values"),
                SearchSpace.shapeProblems(space("lora_r", Map.of("min", 1, "max", 2)), "grid", null));
    }

    @Test
    void everyValueThatWouldMakeABadTrialIsNamedByItsPath() {
        List<String> problems = SearchSpace.recipeProblems("lora", Map.of("max_steps", 10),
                space("learning_rate", List.of(1e-4, 3e-4, -1), "lora_r", List.of(4, 64),
                        "method", List.of("lora", "sgd")), 100, new Recipe.BaseModelShape(32, 128));

        assertEquals(3, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("search_space.learning_rate[2]: must be"), problems.get(0));
        assertTrue(problems.get(1).startsWith("search_space.lora_r[1]: must be <= the base model's hidden size 32"),
                problems.get(1));
        assertTrue(problems.get(2).startsWith("search_space.method[1]: must be one of lora, full, dpo"),
                problems.get(2));
    }
}
