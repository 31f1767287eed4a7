package dev.tuneforge.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The strategic merge patch as Kustomize applies it, for what deploy/k8s's overlays patch: maps merge key by key
 * (a null deletes), lists of the built-in kinds named here merge element by element on {@code name}, every other
 * list is replaced, and a custom resource's lists are always replaced (Kustomize has no schema for them, so it
 * merges them as JSON merge patch does). Built-in lists whose merge key is not {@code name} (container
 * {@code ports} on containerPort, {@code volumeMounts} on mountPath, a Service's {@code ports} on port) are refused
 * rather than merged wrongly.
 */
final class StrategicMerge {

    private static final Set<String> BY_NAME = Set.of("containers", "initContainers", "volumes", "env",
            "imagePullSecrets");
    private static final Set<String> REFUSED = Set.of("ports", "volumeMounts");

    private StrategicMerge() {
    }

    static void apply(Manifest target, Map<String, Object> patch) {
        String group = target.apiVersion().contains("/") ? target.apiVersion().substring(0,
                target.apiVersion().indexOf('/')) : "";
        boolean builtIn = !group.contains(".") || group.endsWith(".k8s.io");
        merge(target.tree(), patch, builtIn, target.id());
    }

    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> into, Map<String, Object> patch, boolean builtIn, String where) {
        for (Map.Entry<String, Object> e : patch.entrySet()) {
            String key = e.getKey();
            Object value = e.getValue();
            Object existing = into.get(key);
            if (value == null) {
                into.remove(key);
            } else if (value instanceof Map<?, ?> m && existing instanceof Map<?, ?> old) {
                merge((Map<String, Object>) old, (Map<String, Object>) m, builtIn, where);
            } else if (value instanceof List<?> list && builtIn && BY_NAME.contains(key)
                    && existing instanceof List<?> old) {
                into.put(key, mergeByName((List<Object>) old, (List<Object>) list, builtIn, where));
            } else if (value instanceof List<?> && builtIn && REFUSED.contains(key)) {
                throw new IllegalArgumentException(where + ": patching '" + key
                        + "' needs its own merge key, which this renderer does not implement");
            } else {
                into.put(key, deepCopy(value));
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Object> mergeByName(List<Object> old, List<Object> patch, boolean builtIn, String where) {
        List<Object> merged = new ArrayList<>(old);
        for (Object item : patch) {
            Map<String, Object> p = (Map<String, Object>) item;
            Map<String, Object> match = null;
            for (Object o : merged) {
                if (((Map<String, Object>) o).get("name").equals(p.get("name"))) {
                    match = (Map<String, Object>) o;
                }
            }
            if (match == null) {
                merged.add(deepCopy(p));
            } else {
                merge(match, p, builtIn, where);
            }
        }
        return merged;
    }

    @SuppressWarnings("unchecked")
    static Object deepCopy(Object value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            ((Map<String, Object>) m).forEach((k, v) -> copy.put(k, deepCopy(v)));
            return copy;
        }
        if (value instanceof List<?> l) {
            List<Object> copy = new ArrayList<>();
            l.forEach(v -> copy.add(deepCopy(v)));
            return copy;
        }
        return value;
    }
}
