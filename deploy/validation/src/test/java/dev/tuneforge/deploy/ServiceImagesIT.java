package dev.tuneforge.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Each service's image is built to a tar by Jib ({@link ServiceImage}; runs in {@code verify}, after the services
 * were packaged) and is what the manifests expect: the name and tag the prod overlay deploys, the port its
 * Deployment probes, the user its pods run as, an entrypoint that exists in the image, and an SBOM.
 */
class ServiceImagesIT {

    static final List<String> SERVICES = Overlays.SERVICES;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WORK = Path.of("target/images");
    private static Path runtime;

    @BeforeAll
    static void javaRuntime() throws Exception {
        runtime = JavaRuntime.link(WORK.resolve("jre"));
    }

    @ParameterizedTest
    @FieldSource("SERVICES")
    void theImageRunsTheServiceAsTheProdOverlayDeploysIt(String service) throws Exception {
        Manifest deployment = Overlays.find(Overlays.render("prod"), "Deployment", service);
        Map<String, Object> container = Manifest.maps(deployment.podSpec(), "containers").get(0);
        String reference = (String) container.get("image");
        int port = (Integer) Manifest.maps(container, "ports").get(0).get("containerPort");

        ImageLayers.Built built = ServiceImage.build(service, port, reference, runtime, WORK);

        ImageTar image = ImageTar.unpack(built.tar(), WORK.resolve(service + "-archive"));
        assertEquals(reference, image.repoTag());
        JsonNode config = image.config();
        assertEquals(ServiceImage.USER + ":" + ServiceImage.USER, config.get("User").asText());
        assertEquals(String.valueOf(Manifest.at(deployment.podSpec(), "securityContext", "runAsUser")),
                ServiceImage.USER, "the pods' user is the image's");
        assertTrue(config.get("ExposedPorts").has(port + "/tcp"), config.toString());
        List<String> entrypoint = image.entrypoint();
        assertEquals("/opt/java/bin/java", entrypoint.get(0));
        assertEquals("/deployments/quarkus-run.jar", entrypoint.get(entrypoint.size() - 1));
        assertEquals("/deployments", config.get("WorkingDir").asText());
        assertEquals("tuneforge " + service, config.get("Labels").get("org.opencontainers.image.title").asText());

        Set<String> inImage = image.paths();
        for (String path : List.of("opt/java/bin/java", "deployments/quarkus-run.jar", "lib64/ld-linux-x86-64.so.2",
                "lib/x86_64-linux-gnu/libc.so.6", "etc/passwd", "usr/share/sbom/" + service + ".spdx.json")) {
            assertTrue(inImage.contains(path), service + ": the image has no /" + path);
        }

        // the image's own loader, libc and Java runtime start the service, which stops at its missing settings
        // (no cluster here): the entrypoint works without anything from the build machine
        Path root = image.rootfs(WORK.resolve(service + "-rootfs"));
        Process process = new ProcessBuilder(image.entrypointIn(root, List.of("/deployments/")))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(2, java.util.concurrent.TimeUnit.MINUTES));
        assertTrue(output.contains("SRCFG00014") && output.contains("tuneforge.s3.endpoint"), service + ": " + output);
        ImageTar.deleteTree(root);
        image.delete();

        JsonNode sbom = JSON.readTree(built.sbom().toFile());
        assertEquals("SPDX-2.3", sbom.get("spdxVersion").asText());
        Set<String> names = new HashSet<>();
        sbom.get("packages").forEach(p -> names.add(p.get("name").asText()));
        assertTrue(names.containsAll(Set.of("libc6", "quarkus-core")), names.toString());
        assertTrue(names.stream().anyMatch(n -> n.contains("Java runtime")), names.toString());
    }
}
