package dev.tuneforge.kit.recipe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A sweep's search space and how it becomes trials, shared by the gateway (which refuses a sweep whose trials would
 * not run) and trainer-service (which runs them). A parameter is a hyperparameter's name or {@code method}; its
 * values are a non-empty list, or, for {@code random} only, a range {@code {min, max, log}}.
 *
 * <p>{@code grid}: the cartesian product, the first parameter varying slowest, cut to {@code maxTrials}.
 * {@code random}: {@code maxTrials} draws from {@link Random} seeded with {@code seed} (its algorithm is fixed by the
 * JDK's specification, so a seed gives the same trials on every JVM): a list's value uniformly, a range uniformly or
 * log-uniformly, as an integer when min and max are integers and {@code log} is false.
 */
public final class SearchSpace {

    public static final Set<String> STRATEGIES = Set.of("grid", "random");
    /** The most trials one sweep may have. */
    public static final int MAX_TRIALS = 100;
    public static final int DEFAULT_RANDOM_TRIALS = 10;
    public static final String METHOD = "method";

    private SearchSpace() {
    }

    /** One trial's values of the space's parameters, in the space's order. */
    public record Trial(int index, Map<String, Object> parameters) {

        /** The trial's method: its own when the space has {@code method}, else {@code baseMethod}. */
        public String method(String baseMethod) {
            return parameters.get(METHOD) instanceof String m ? m : baseMethod;
        }

        /** The base recipe's hyperparameters with this trial's values in place. */
        public Map<String, Object> hyperparameters(Map<String, Object> base) {
            Map<String, Object> out = new LinkedHashMap<>(base == null ? Map.of() : base);
            parameters.forEach((name, value) -> {
                if (!name.equals(METHOD)) {
                    out.put(name, value);
                }
            });
            return out;
        }
    }

    /**
     * What is wrong with the space's shape, each problem naming its path ({@code search_space.lora_r: ...}); empty
     * when it can be expanded.
     */
    public static List<String> shapeProblems(Map<String, Object> space, String strategy, Integer maxTrials) {
        List<String> problems = new ArrayList<>();
        if (strategy == null || !STRATEGIES.contains(strategy)) {
            problems.add("strategy: must be grid or random, got " + (strategy == null ? "nothing" : "'" + strategy + "'"));
        }
        if (maxTrials != null && (maxTrials < 1 || maxTrials > MAX_TRIALS)) {
            problems.add("max_trials: must be 1 to " + MAX_TRIALS + ", got " + maxTrials);
        }
        if (space == null || space.isEmpty()) {
            problems.add("search_space: must name at least one parameter");
            return problems;
        }
        space.forEach((name, values) -> {
            String path = "search_space." + name;
            switch (values) {
                case List<?> list when list.isEmpty() -> problems.add(path + ": must list at least one value");
                case List<?> list -> {
                    for (int i = 0; i < list.size(); i++) {
                        if (list.get(i) == null || list.get(i) instanceof Map || list.get(i) instanceof List) {
                            problems.add(path + "[" + i + "]: must be a number, string or boolean");
                        }
                    }
                }
                case Map<?, ?> range when !"random".equals(strategy) ->
                        problems.add(path + ": a range {min, max} needs strategy random; grid takes a list of values");
                case Map<?, ?> range -> rangeProblems(path, range, problems);
                default -> problems.add(path + ": must be a list of values or a range {min, max, log}");
            }
        });
        return problems;
    }

    private static void rangeProblems(String path, Map<?, ?> range, List<String> problems) {
        for (Object key : range.keySet()) {
            if (!Set.of("min", "max", "log").contains(String.valueOf(key))) {
                problems.add(path + "." + key + ": unknown (a range has min, max and log)");
            }
        }
        if (!(range.get("min") instanceof Number min)) {
            problems.add(path + ".min: must be a number");
            return;
        }
        if (!(range.get("max") instanceof Number max)) {
            problems.add(path + ".max: must be a number");
            return;
        }
        Object log = range.get("log");
        if (log != null && !(log instanceof Boolean)) {
            problems.add(path + ".log: must be true or false");
        }
        if (min.doubleValue() > max.doubleValue()) {
            problems.add(path + ": min " + min + " is above max " + max);
        }
        if (Boolean.TRUE.equals(log) && min.doubleValue() <= 0) {
            problems.add(path + ".min: must be above 0 on a log scale, got " + min);
        }
    }

    /**
     * The trials of a space whose {@link #shapeProblems} are none.
     *
     * @throws RecipeException naming every problem of the space's shape
     */
    public static List<Trial> expand(Map<String, Object> space, String strategy, Integer maxTrials, long seed) {
        List<String> problems = shapeProblems(space, strategy, maxTrials);
        if (!problems.isEmpty()) {
            throw new RecipeException(problems);
        }
        List<Map<String, Object>> trials = strategy.equals("grid") ? grid(space, maxTrials == null ? MAX_TRIALS
                : maxTrials) : random(space, maxTrials == null ? DEFAULT_RANDOM_TRIALS : maxTrials, seed);
        List<Trial> out = new ArrayList<>();
        for (int i = 0; i < trials.size(); i++) {
            out.add(new Trial(i, trials.get(i)));
        }
        return out;
    }

    private static List<Map<String, Object>> grid(Map<String, Object> space, int limit) {
        List<Map<String, Object>> product = new ArrayList<>();
        product.add(new LinkedHashMap<>());
        for (Map.Entry<String, Object> parameter : space.entrySet()) {
            List<Map<String, Object>> next = new ArrayList<>();
            for (Map<String, Object> partial : product) {
                for (Object value : (List<?>) parameter.getValue()) {
                    if (next.size() == limit) {
                        break;
                    }
                    Map<String, Object> trial = new LinkedHashMap<>(partial);
                    trial.put(parameter.getKey(), value);
                    next.add(trial);
                }
            }
            product = next;
        }
        return product;
    }

    private static List<Map<String, Object>> random(Map<String, Object> space, int count, long seed) {
        Random random = new Random(seed);
        List<Map<String, Object>> trials = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, Object> trial = new LinkedHashMap<>();
            space.forEach((name, values) -> trial.put(name, draw(values, random)));
            trials.add(trial);
        }
        return trials;
    }

    private static Object draw(Object values, Random random) {
        if (values instanceof List<?> list) {
            return list.get(random.nextInt(list.size()));
        }
        Map<?, ?> range = (Map<?, ?>) values;
        Number min = (Number) range.get("min");
        Number max = (Number) range.get("max");
        boolean log = Boolean.TRUE.equals(range.get("log"));
        if (!log && integral(min) && integral(max)) {
            return min.longValue() + (long) Math.floor(random.nextDouble() * (max.longValue() - min.longValue() + 1));
        }
        double u = random.nextDouble();
        return log ? Math.exp(Math.log(min.doubleValue()) + u * (Math.log(max.doubleValue())
                - Math.log(min.doubleValue()))) : min.doubleValue() + u * (max.doubleValue() - min.doubleValue());
    }

    private static boolean integral(Number n) {
        return n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte;
    }

    /**
     * Whether every trial's recipe would be accepted: each value of the space is tried in the base recipe on its own
     * (for a range, its min and its max), and what {@link Recipe#resolve} says about it is named by the value's path
     * ({@code search_space.learning_rate[2]: must be ...}). The base recipe's own problems keep their paths.
     *
     * @param trainExamples as for {@link Recipe#resolve}
     * @param shape         as for {@link Recipe#resolve}
     */
    public static List<String> recipeProblems(String method, Map<String, Object> base, Map<String, Object> space,
                                              long trainExamples, Recipe.BaseModelShape shape) {
        List<String> problems = new ArrayList<>();
        Map<String, Object> given = base == null ? Map.of() : base;
        problems.addAll(resolveProblems(method, given, trainExamples, shape));
        if (!problems.isEmpty() || space == null) {
            return problems;
        }
        space.forEach((name, values) -> {
            Map<String, Object> points = new LinkedHashMap<>();
            if (values instanceof List<?> list) {
                for (int i = 0; i < list.size(); i++) {
                    points.put("search_space." + name + "[" + i + "]", list.get(i));
                }
            } else if (values instanceof Map<?, ?> range) {
                points.put("search_space." + name + ".min", range.get("min"));
                points.put("search_space." + name + ".max", range.get("max"));
            }
            points.forEach((path, value) -> {
                String trialMethod = name.equals(METHOD) ? String.valueOf(value) : method;
                Map<String, Object> hyperparameters = new HashMap<>(given);
                if (!name.equals(METHOD)) {
                    hyperparameters.put(name, value);
                }
                String own = name.equals(METHOD) ? METHOD + ": " : "hyperparameters." + name + ": ";
                for (String problem : resolveProblems(trialMethod, hyperparameters, trainExamples, shape)) {
                    problems.add(path + ": " + (problem.startsWith(own) ? problem.substring(own.length()) : problem));
                }
            });
        });
        return problems;
    }

    private static List<String> resolveProblems(String method, Map<String, Object> hyperparameters, long examples,
                                                Recipe.BaseModelShape shape) {
        try {
            Recipe.resolve(method, hyperparameters, examples, shape);
            return List.of();
        } catch (RecipeException e) {
            return e.errors();
        }
    }
}
