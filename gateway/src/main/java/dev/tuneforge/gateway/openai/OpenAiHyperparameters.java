package dev.tuneforge.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.gateway.openai.FineTuningJob.Hyperparameters;
import dev.tuneforge.kit.recipe.Recipe;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * OpenAI's hyperparameters in tuneforge's recipe names, and back: {@code n_epochs} is {@code epochs},
 * {@code batch_size} is {@code batch_size}, {@code learning_rate_multiplier} multiplies the method's default learning
 * rate ({@link Recipe#defaultLearningRate}), and dpo's {@code beta} is the recipe's {@code beta}. {@code "auto"} leaves
 * the recipe's own {@code auto} rule (which is OpenAI's; for {@code beta}, {@value Recipe#DEFAULT_BETA}).
 * Any other name is one of tuneforge's hyperparameters (docs/WORKER_PROTOCOL.md), passed to the recipe as it is, so
 * a client may set, say, {@code lora_r} or {@code max_steps} through the SDK's extra fields.
 */
final class OpenAiHyperparameters {

    private static final ObjectMapper JSON = new ObjectMapper();

    private OpenAiHyperparameters() {
    }

    /** The recipe's hyperparameters for OpenAI's; errors name {@code param} as the request wrote it. */
    static Map<String, Object> toRecipe(JsonNode given, String method, String param) {
        Map<String, Object> recipe = new LinkedHashMap<>();
        if (given == null || given.isNull()) {
            return recipe;
        }
        if (!given.isObject()) {
            throw OpenAiErrors.invalid(param, "'" + param + "' must be an object");
        }
        for (Map.Entry<String, JsonNode> field : given.properties()) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            boolean auto = value.isNull() || "auto".equals(value.asText());
            switch (name) {
                case "n_epochs" -> {
                    if (!auto) {
                        recipe.put("epochs", whole(value, param + ".n_epochs"));
                    }
                }
                case "batch_size" -> {
                    if (!auto) {
                        recipe.put("batch_size", whole(value, param + ".batch_size"));
                    }
                }
                case "learning_rate_multiplier" -> {
                    if (!auto) {
                        double multiplier = number(value, param + ".learning_rate_multiplier");
                        if (multiplier <= 0) {
                            throw OpenAiErrors.invalid(param + ".learning_rate_multiplier",
                                    "'learning_rate_multiplier' must be above 0, was " + multiplier);
                        }
                        recipe.put("learning_rate", multiplier * Recipe.defaultLearningRate(method));
                    }
                }
                case "beta" -> {
                    if (!"dpo".equals(method)) {
                        throw OpenAiErrors.invalid(param + ".beta", "'beta' is a hyperparameter of method dpo");
                    }
                    if (!auto) {
                        double beta = number(value, param + ".beta");
                        if (beta <= 0) {
                            throw OpenAiErrors.invalid(param + ".beta", "'beta' must be above 0, was " + beta);
                        }
                        recipe.put("beta", beta);
                    }
                }
                default -> recipe.put(name, value.isNumber() ? value.numberValue()
                        : value.isBoolean() ? value.booleanValue()
                        : value.isArray() ? JSON.convertValue(value, java.util.List.class) : value.asText());
            }
        }
        return recipe;
    }

    /** OpenAI's view of a resolved recipe (a job's {@code hyperparameters}), or of a request before it is resolved. */
    static Hyperparameters fromRecipe(JsonNode recipe, String method) {
        return new Hyperparameters(batchSize(recipe), learningRateMultiplier(recipe, method), nEpochs(recipe));
    }

    /** OpenAI's {@code method.dpo.hyperparameters}: those of {@link #fromRecipe} and {@code beta}. */
    static FineTuningJob.DpoHyperparameters dpoFromRecipe(JsonNode recipe) {
        return new FineTuningJob.DpoHyperparameters(batchSize(recipe),
                recipe != null && recipe.hasNonNull("beta") ? recipe.get("beta").asDouble() : "auto",
                learningRateMultiplier(recipe, "dpo"), nEpochs(recipe));
    }

    private static Object batchSize(JsonNode recipe) {
        return recipe != null && recipe.hasNonNull("batch_size") ? recipe.get("batch_size").asInt() : "auto";
    }

    private static Object nEpochs(JsonNode recipe) {
        return recipe != null && recipe.hasNonNull("epochs") ? recipe.get("epochs").asInt() : "auto";
    }

    private static Object learningRateMultiplier(JsonNode recipe, String method) {
        if (recipe == null || !recipe.hasNonNull("learning_rate")) {
            return "auto";
        }
        double rate = recipe.get("learning_rate").asDouble();
        return Math.round(rate / Recipe.defaultLearningRate(method == null ? "lora" : method) * 1e6) / 1e6;
    }

    private static int whole(JsonNode value, String param) {
        if (!value.canConvertToInt() || value.isFloatingPointNumber() && value.asDouble() != value.asInt()) {
            throw OpenAiErrors.invalid(param, "'" + param + "' must be a whole number or \"auto\", was " + value);
        }
        return value.asInt();
    }

    private static double number(JsonNode value, String param) {
        if (!value.isNumber()) {
            throw OpenAiErrors.invalid(param, "'" + param + "' must be a number or \"auto\", was " + value);
        }
        return value.asDouble();
    }
}
