package dev.tuneforge.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One Kubernetes object as YAML gives it: a tree of maps, lists and scalars, with the accessors the renderer and
 * the checks need. Mutable only while {@link Kustomize} renders it.
 */
public record Manifest(Map<String, Object> tree) {

    public Manifest {
        Objects.requireNonNull(tree, "tree");
    }

    public String apiVersion() {
        return (String) tree.get("apiVersion");
    }

    public String kind() {
        return (String) tree.get("kind");
    }

    public String name() {
        return (String) metadata().get("name");
    }

    public String namespace() {
        return (String) metadata().get("namespace");
    }

    /** {@code kind/name}, or {@code kind/namespace/name}: what error messages call it. */
    public String id() {
        return namespace() == null ? kind() + "/" + name() : kind() + "/" + namespace() + "/" + name();
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> metadata() {
        return (Map<String, Object>) tree.computeIfAbsent("metadata", k -> new LinkedHashMap<>());
    }

    @SuppressWarnings("unchecked")
    public Map<String, String> labels() {
        Object labels = metadata().get("labels");
        return labels == null ? Map.of() : (Map<String, String>) labels;
    }

    /** The value at a path of map keys, or null where any step is missing. */
    public Object at(String... path) {
        return at(tree, path);
    }

    @SuppressWarnings("unchecked")
    public static Object at(Object node, String... path) {
        Object current = node;
        for (String key : path) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = ((Map<String, Object>) map).get(key);
        }
        return current;
    }

    /** The maps of a list at a path (empty if there is none). */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> maps(Object node, String... path) {
        Object list = at(node, path);
        return list instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    /** The pod template of a workload (Deployment, StatefulSet, DaemonSet, Job), or null for any other kind. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> podSpec() {
        return switch (kind()) {
            case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job" ->
                    (Map<String, Object>) at("spec", "template", "spec");
            case "CronJob" -> (Map<String, Object>) at("spec", "jobTemplate", "spec", "template", "spec");
            case "Pod" -> (Map<String, Object>) at("spec");
            default -> null;
        };
    }

    /** Containers and init containers of the pod template. */
    public List<Map<String, Object>> allContainers() {
        Map<String, Object> spec = podSpec();
        if (spec == null) {
            return List.of();
        }
        List<Map<String, Object>> all = new ArrayList<>(maps(spec, "initContainers"));
        all.addAll(maps(spec, "containers"));
        return all;
    }
}
