package dev.tuneforge.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** deploy/k8s's overlays, each rendered once per test run. */
final class Overlays {

    static final Path REPO = Path.of("../..").toAbsolutePath().normalize();
    static final Path K8S = REPO.resolve("deploy/k8s");
    static final List<String> ALL = List.of("dev", "prod");
    static final String NAMESPACE = "tuneforge";
    /** The five services (module directory = Deployment name). */
    static final List<String> SERVICES = List.of("gateway", "dataset-service", "trainer-service", "eval-service",
            "registry-service");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<String, List<Manifest>> RENDERED = new ConcurrentHashMap<>();

    private Overlays() {
    }

    /** A fresh copy of the rendered objects of {@code overlay} (tests may change theirs). */
    static List<Manifest> render(String overlay) {
        List<Manifest> rendered = RENDERED.computeIfAbsent(overlay, o -> {
            if (!Files.isDirectory(K8S.resolve("overlays").resolve(o))) {
                throw new IllegalArgumentException("no overlay " + o);
            }
            List<Manifest> objects = Kustomize.render(K8S.resolve("overlays").resolve(o));
            write(o, objects);
            return objects;
        });
        return rendered.stream().map(m -> new Manifest(copy(m.tree()))).toList();
    }

    /** target/rendered/OVERLAY.yaml: what the tests checked, for a reader (or kubectl apply -f). */
    private static void write(String overlay, List<Manifest> objects) {
        try {
            Path out = Path.of("target/rendered").resolve(overlay + ".yaml");
            Files.createDirectories(out.getParent());
            StringBuilder yaml = new StringBuilder();
            for (Manifest m : objects) {
                yaml.append(YAML.writeValueAsString(m.tree()));
            }
            Files.writeString(out, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> copy(Map<String, Object> tree) {
        return (Map<String, Object>) StrategicMerge.deepCopy(tree);
    }

    static Manifest find(List<Manifest> objects, String kind, String name) {
        return objects.stream().filter(m -> m.kind().equals(kind) && m.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + "/" + name + " rendered"));
    }

    static List<Manifest> ofKind(List<Manifest> objects, String kind) {
        return objects.stream().filter(m -> m.kind().equals(kind)).toList();
    }
}
