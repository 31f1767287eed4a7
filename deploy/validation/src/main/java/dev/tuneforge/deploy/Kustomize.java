package dev.tuneforge.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders a kustomization directory as {@code kubectl kustomize} does, for the subset of Kustomize that deploy/k8s
 * uses: {@code resources} (files and directories), {@code configMapGenerator} (files, with
 * {@code disableNameSuffixHash}), {@code patches} (strategic merge, by the patch's own kind and name or by a
 * {@code target} of kind, name and label selector), {@code namespace} and {@code images}. Anything else in a
 * kustomization fails the render, naming the file and the field, so that a feature this class does not implement
 * cannot be silently ignored.
 *
 * <p>Why not kubectl: CI machines get Debian's packages only, and Debian 12's {@code kubernetes-client} is kubectl
 * 1.20 (Kustomize 2.0.3, which predates {@code patches} with targets and {@code kafka.strimzi.io/v1}-era syntax
 * alike); the rendering must not depend on what happens to be installed. The output of both overlays was compared
 * with kubectl 1.32's (Kustomize 5.5) object by object when this was written (docs/DEPLOY.md, "Validation").
 * Order: transformers run after the resources and generators of a level, patches first, then the namespace, then
 * images, as Kustomize's builtin order does for these.
 */
public final class Kustomize {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Set<String> FIELDS = Set.of("apiVersion", "kind", "resources", "configMapGenerator",
            "patches", "namespace", "images");
    /** Kinds without a namespace (those deploy/k8s uses, and the usual others). */
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "PriorityClass", "RuntimeClass",
            "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume", "StorageClass",
            "IngressClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration");

    private Kustomize() {
    }

    /** Every object the kustomization in {@code dir} renders, in the order its resources list them. */
    public static List<Manifest> render(Path dir) {
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no kustomization.yaml in " + dir);
        }
        Map<String, Object> k = readOne(file);
        for (String field : k.keySet()) {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException(file + ": field '" + field + "' is not supported by this renderer");
            }
        }
        List<Manifest> out = new ArrayList<>();
        for (Object entry : list(k, "resources", file)) {
            Path path = dir.resolve((String) entry).normalize();
            if (Files.isDirectory(path)) {
                out.addAll(render(path));
            } else {
                readAll(path).forEach(tree -> out.add(new Manifest(tree)));
            }
        }
        for (Object generator : list(k, "configMapGenerator", file)) {
            out.add(configMap(dir, file, cast(generator)));
        }
        for (Object patch : list(k, "patches", file)) {
            patch(dir, file, cast(patch), out);
        }
        if (k.get("namespace") instanceof String namespace) {
            out.forEach(m -> setNamespace(m, namespace));
        }
        for (Object image : list(k, "images", file)) {
            setImage(cast(image), out);
        }
        return out;
    }

    /** Every YAML document of a file, skipping empty ones. */
    public static List<Map<String, Object>> readAll(Path file) {
        try (JsonParser parser = YAML.createParser(file.toFile())) {
            MappingIterator<Map<String, Object>> docs = YAML.readValues(parser,
                    YAML.getTypeFactory().constructMapType(LinkedHashMap.class, String.class, Object.class));
            List<Map<String, Object>> all = new ArrayList<>();
            while (docs.hasNext()) {
                Map<String, Object> doc = docs.nextValue();
                if (doc != null && !doc.isEmpty()) {
                    all.add(doc);
                }
            }
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> readOne(Path file) {
        List<Map<String, Object>> docs = readAll(file);
        if (docs.size() != 1) {
            throw new IllegalArgumentException(file + ": expected one document, found " + docs.size());
        }
        return docs.get(0);
    }

    private static Manifest configMap(Path dir, Path file, Map<String, Object> generator) {
        Map<String, Object> options = generator.get("options") == null ? Map.of() : cast(generator.get("options"));
        if (!Boolean.TRUE.equals(options.get("disableNameSuffixHash"))) {
            throw new IllegalArgumentException(file + ": configMapGenerator " + generator.get("name")
                    + " needs options.disableNameSuffixHash: true (hashed names are not supported by this renderer)");
        }
        Map<String, Object> data = new LinkedHashMap<>();
        for (Object f : list(generator, "files", file)) {
            Path source = dir.resolve((String) f);
            try {
                data.put(source.getFileName().toString(), Files.readString(source));
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": cannot read " + source, e);
            }
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", generator.get("name"));
        if (options.get("labels") != null) {
            metadata.put("labels", new LinkedHashMap<>(cast(options.get("labels"))));
        }
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("apiVersion", "v1");
        tree.put("kind", "ConfigMap");
        tree.put("metadata", metadata);
        tree.put("data", data);
        return new Manifest(tree);
    }

    private static void patch(Path dir, Path file, Map<String, Object> spec, List<Manifest> objects) {
        if (spec.get("path") == null) {
            throw new IllegalArgumentException(file + ": a patch needs a path (inline patches are not supported)");
        }
        Path patchFile = dir.resolve((String) spec.get("path"));
        Map<String, Object> target = spec.get("target") == null ? null : cast(spec.get("target"));
        for (Map<String, Object> patch : readAll(patchFile)) {
            Manifest p = new Manifest(patch);
            int matched = 0;
            for (Manifest m : objects) {
                boolean hit = target == null ? m.kind().equals(p.kind()) && m.name().equals(p.name())
                        : matches(m, target, patchFile);
                if (hit) {
                    Map<String, Object> body = new LinkedHashMap<>(patch);
                    body.remove("apiVersion");
                    body.remove("kind");
                    Map<String, Object> meta = body.get("metadata") == null ? null
                            : new LinkedHashMap<>(cast(body.get("metadata")));
                    if (meta != null) {
                        meta.remove("name"); // a targeted patch's name is a placeholder
                        body.put("metadata", meta);
                    }
                    StrategicMerge.apply(m, body);
                    matched++;
                }
            }
            if (matched == 0) {
                throw new IllegalArgumentException(patchFile + ": patch of " + p.kind() + "/" + p.name()
                        + " matches no object");
            }
        }
    }

    private static boolean matches(Manifest m, Map<String, Object> target, Path patchFile) {
        for (String field : target.keySet()) {
            if (!Set.of("kind", "name", "labelSelector").contains(field)) {
                throw new IllegalArgumentException(patchFile + ": target field '" + field + "' is not supported");
            }
        }
        if (target.get("kind") != null && !target.get("kind").equals(m.kind())) {
            return false;
        }
        if (target.get("name") != null && !target.get("name").equals(m.name())) {
            return false;
        }
        if (target.get("labelSelector") instanceof String selector) {
            for (String term : selector.split(",")) {
                String[] kv = term.split("=", 2);
                if (kv.length != 2 || kv[0].endsWith("!")) {
                    throw new IllegalArgumentException(patchFile + ": only key=value label selectors are supported");
                }
                if (!kv[1].strip().equals(m.labels().get(kv[0].strip()))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void setNamespace(Manifest m, String namespace) {
        if (!CLUSTER_SCOPED.contains(m.kind())) {
            m.metadata().put("namespace", namespace);
        }
        if (m.kind().equals("RoleBinding") || m.kind().equals("ClusterRoleBinding")) {
            for (Map<String, Object> subject : Manifest.maps(m.tree(), "subjects")) {
                if ("ServiceAccount".equals(subject.get("kind")) && subject.get("namespace") == null) {
                    subject.put("namespace", namespace);
                }
            }
        }
    }

    private static void setImage(Map<String, Object> rule, List<Manifest> objects) {
        String name = (String) rule.get("name");
        for (Manifest m : objects) {
            for (Map<String, Object> container : m.allContainers()) {
                String image = (String) container.get("image");
                if (image == null || !imageName(image).equals(name)) {
                    continue;
                }
                String newName = rule.get("newName") == null ? name : (String) rule.get("newName");
                if (rule.get("digest") != null) {
                    container.put("image", newName + "@" + rule.get("digest"));
                } else if (rule.get("newTag") != null) {
                    container.put("image", newName + ":" + rule.get("newTag"));
                } else {
                    container.put("image", newName + image.substring(imageName(image).length()));
                }
            }
        }
    }

    /** The image reference without its tag or digest. */
    public static String imageName(String image) {
        int at = image.indexOf('@');
        String name = at < 0 ? image : image.substring(0, at);
        int colon = name.lastIndexOf(':');
        return colon > name.lastIndexOf('/') ? name.substring(0, colon) : name;
    }

    private static List<?> list(Map<String, Object> k, String field, Path file) {
        Object value = k.get(field);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> l)) {
            throw new IllegalArgumentException(file + ": " + field + " must be a list");
        }
        return l;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }
}
