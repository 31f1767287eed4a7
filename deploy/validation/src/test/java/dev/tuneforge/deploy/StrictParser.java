package dev.tuneforge.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Parses a rendered object as the API server would with {@code --validate=strict}: a kind of Kubernetes itself
 * through fabric8's model, where a field the model does not know (it lands in a model object's
 * {@code additionalProperties}) is an error; a custom resource against the openAPIV3Schema of its CRD, vendored in
 * {@code src/test/resources/crds} (see SOURCES.md there), with every object schema closed
 * ({@code additionalProperties: false}) unless it preserves unknown fields, because a structural schema prunes them
 * and strict field validation rejects them. A kind neither knows is an error too.
 */
final class StrictParser {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Set<String> COMPOSITIONS = Set.of("anyOf", "oneOf", "allOf", "not");

    /** A CRD version: its schema, and how the API names it (for the mock server). */
    record CustomKind(String group, String version, String kind, String plural, boolean namespaced, JsonSchema schema) {
        String apiVersion() {
            return group + "/" + version;
        }
    }

    private final Map<String, CustomKind> kinds = new LinkedHashMap<>();
    private final List<CustomResourceDefinition> crds = new ArrayList<>();

    StrictParser(Path crdDir) {
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4);
        try (Stream<Path> files = Files.list(crdDir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                for (Map<String, Object> doc : Kustomize.readAll(file)) {
                    CustomResourceDefinition crd = SERIALIZATION.convertValue(doc, CustomResourceDefinition.class);
                    crds.add(crd);
                    for (var v : crd.getSpec().getVersions()) {
                        if (!v.getServed()) {
                            continue;
                        }
                        JsonNode schema = JSON.valueToTree(v.getSchema().getOpenAPIV3Schema());
                        close(schema);
                        String group = crd.getSpec().getGroup();
                        String kind = crd.getSpec().getNames().getKind();
                        kinds.put(group + "/" + v.getName() + "/" + kind, new CustomKind(group, v.getName(), kind,
                                crd.getSpec().getNames().getPlural(), "Namespaced".equals(crd.getSpec().getScope()),
                                factory.getSchema(schema)));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<CustomResourceDefinition> crds() {
        return crds;
    }

    /** The CRD version of a custom resource, or null for a kind of Kubernetes itself. */
    CustomKind customKind(Manifest m) {
        return kinds.get(m.apiVersion() + "/" + m.kind());
    }

    /** What is wrong with the object, each error naming the object and the field; empty if nothing. */
    List<String> errors(Manifest m) {
        List<String> errors = new ArrayList<>();
        if (m.apiVersion() == null || m.kind() == null || m.name() == null) {
            return List.of("an object without apiVersion, kind or metadata.name: " + m.tree());
        }
        CustomKind custom = customKind(m);
        if (custom != null) {
            for (ValidationMessage msg : custom.schema().validate(JSON.valueToTree(m.tree()))) {
                errors.add(m.id() + ": " + msg.getMessage());
            }
            ObjectMeta meta = SERIALIZATION.convertValue(m.metadata(), ObjectMeta.class);
            unknownFields(meta, "metadata", errors, m.id());
            return errors;
        }
        KubernetesResource parsed = SERIALIZATION.unmarshal(SERIALIZATION.asJson(m.tree()), KubernetesResource.class);
        if (parsed instanceof GenericKubernetesResource || !(parsed instanceof HasMetadata typed)) {
            return List.of(m.id() + ": " + m.apiVersion() + " " + m.kind()
                    + " is neither a Kubernetes kind fabric8's model knows nor a vendored CRD's");
        }
        if (!typed.getApiVersion().equals(m.apiVersion())) {
            errors.add(m.id() + ": apiVersion " + m.apiVersion() + " read as " + typed.getApiVersion());
        }
        unknownFields(typed, "", errors, m.id());
        return errors;
    }

    /** Turns a CRD's schema into one that rejects unknown fields, except where it preserves them. */
    private static void close(JsonNode node) {
        if (!(node instanceof ObjectNode o)) {
            if (node != null && node.isArray()) {
                node.forEach(StrictParser::close);
            }
            return;
        }
        if (o.has("properties") && !o.has("additionalProperties")
                && !o.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
            o.put("additionalProperties", false);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (COMPOSITIONS.contains(e.getKey())) {
                continue; // branches restrict the same object, they do not declare it
            }
            if (e.getKey().equals("properties")) {
                e.getValue().forEach(StrictParser::close);
            } else if (e.getValue().isContainerNode()) {
                close(e.getValue());
            }
        }
    }

    /** Every model object reachable from {@code o} whose additionalProperties hold something: an unknown field. */
    private static void unknownFields(Object o, String path, List<String> errors, String id) {
        if (o == null) {
            return;
        }
        if (o instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                unknownFields(list.get(i), path + "[" + i + "]", errors, id);
            }
            return;
        }
        if (o instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, errors, id));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : o.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get")
                    || Modifier.isStatic(getter.getModifiers()) || getter.getDeclaringClass() == Object.class
                    || getter.isDefault()) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(o);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
            if (field.equals("additionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    errors.add(id + ": unknown field(s) " + extra.keySet() + " at " + (path.isEmpty() ? "." : path));
                }
            } else {
                unknownFields(value, path + "." + field, errors, id);
            }
        }
    }
}
