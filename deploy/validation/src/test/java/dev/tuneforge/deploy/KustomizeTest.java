package dev.tuneforge.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The renderer does what Kustomize does for the fields it knows, and refuses, naming file and field, what it would
 * otherwise get wrong.
 */
class KustomizeTest {

    @TempDir
    Path dir;

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              labels: {tier: front}
            spec:
              replicas: 2
              template:
                spec:
                  containers:
                    - name: web
                      image: registry.example/web:1.0
                      env: [{name: A, value: "1"}, {name: B, value: "2"}]
                      ports: [{containerPort: 80}]
                    - name: side
                      image: registry.example/side@sha256:abc
            """;

    private void write(String file, String text) throws IOException {
        Files.writeString(dir.resolve(file), text);
    }

    @Test
    void patchesMergeContainersAndEnvByNameAndReplaceOtherLists() throws IOException {
        write("d.yaml", DEPLOYMENT);
        write("p.yaml", """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: any}
                spec:
                  replicas: 1
                  template:
                    spec:
                      containers:
                        - name: web
                          args: ["--fast"]
                          env: [{name: B, value: "3"}, {name: C, value: "4"}]
                """);
        write("kustomization.yaml", """
                namespace: ns
                resources: [d.yaml]
                patches:
                  - path: p.yaml
                    target: {kind: Deployment, labelSelector: tier=front}
                images:
                  - {name: registry.example/web, newTag: "2.0"}
                """);
        Manifest d = Kustomize.render(dir).get(0);
        assertEquals("ns", d.namespace());
        assertEquals(1, d.at("spec", "replicas"));
        List<Map<String, Object>> containers = Manifest.maps(d.podSpec(), "containers");
        assertEquals(List.of("web", "side"), containers.stream().map(c -> c.get("name")).toList());
        assertEquals("registry.example/web:2.0", containers.get(0).get("image"));
        assertEquals("registry.example/side@sha256:abc", containers.get(1).get("image"));
        assertEquals(List.of("--fast"), containers.get(0).get("args"));
        assertEquals(List.of(Map.of("name", "A", "value", "1"), Map.of("name", "B", "value", "3"),
                Map.of("name", "C", "value", "4")), containers.get(0).get("env"));
    }

    @Test
    void aFieldTheRendererDoesNotImplementIsRefusedByName() throws IOException {
        write("d.yaml", DEPLOYMENT);
        write("kustomization.yaml", "resources: [d.yaml]\nnamePrefix: x-\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kustomize.render(dir));
        assertEquals(dir.resolve("kustomization.yaml") + ": field 'namePrefix' is not supported by this renderer",
                e.getMessage());
    }

    @Test
    void aPatchThatMatchesNothingOrNeedsAnotherMergeKeyIsRefused() throws IOException {
        write("d.yaml", DEPLOYMENT);
        write("p.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: wbe}\nspec: {replicas: 3}\n");
        write("kustomization.yaml", "resources: [d.yaml]\npatches: [{path: p.yaml}]\n");
        assertEquals(dir.resolve("p.yaml") + ": patch of Deployment/wbe matches no object",
                assertThrows(IllegalArgumentException.class, () -> Kustomize.render(dir)).getMessage());

        write("p.yaml", """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec: {template: {spec: {containers: [{name: web, ports: [{containerPort: 81}]}]}}}
                """);
        assertEquals("Deployment/web: patching 'ports' needs its own merge key, which this renderer does not implement",
                assertThrows(IllegalArgumentException.class, () -> Kustomize.render(dir)).getMessage());
    }

    @Test
    void aDuplicateKeyInAManifestIsAnError() throws IOException {
        write("d.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {A: '1', A: '2'}\n");
        write("kustomization.yaml", "resources: [d.yaml]\n");
        String message = assertThrows(java.io.UncheckedIOException.class, () -> Kustomize.render(dir)).getMessage();
        assertEquals(true, message.startsWith("cannot read " + dir.resolve("d.yaml")) && message.contains("'A'"), message);
    }
}
