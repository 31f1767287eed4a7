package dev.tuneforge.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
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

        ServiceImage.Built built = ServiceImage.build(service, port, reference, runtime, WORK);

        Map<String, byte[]> files = entries(Files.newInputStream(built.tar()), false);
        JsonNode manifest = JSON.readTree(files.get("manifest.json")).get(0);
        assertEquals(reference, manifest.get("RepoTags").get(0).asText());
        JsonNode config = JSON.readTree(files.get(manifest.get("Config").asText())).get("config");
        assertEquals(ServiceImage.USER + ":" + ServiceImage.USER, config.get("User").asText());
        assertEquals(String.valueOf(Manifest.at(deployment.podSpec(), "securityContext", "runAsUser")),
                ServiceImage.USER, "the pods' user is the image's");
        assertTrue(config.get("ExposedPorts").has(port + "/tcp"), config.toString());
        List<String> entrypoint = JSON.convertValue(config.get("Entrypoint"), List.class);
        assertEquals("/opt/java/bin/java", entrypoint.get(0));
        assertEquals("/deployments/quarkus-run.jar", entrypoint.get(entrypoint.size() - 1));
        assertEquals("/deployments", config.get("WorkingDir").asText());
        assertEquals("tuneforge " + service, config.get("Labels").get("org.opencontainers.image.title").asText());

        Set<String> inImage = new HashSet<>();
        for (JsonNode layer : manifest.get("Layers")) {
            inImage.addAll(entries(new GZIPInputStream(new java.io.ByteArrayInputStream(files.get(layer.asText()))),
                    true).keySet());
        }
        for (String path : List.of("opt/java/bin/java", "deployments/quarkus-run.jar", "lib64/ld-linux-x86-64.so.2",
                "lib/x86_64-linux-gnu/libc.so.6", "etc/passwd", "usr/share/sbom/" + service + ".spdx.json")) {
            assertTrue(inImage.contains(path), service + ": the image has no /" + path);
        }

        // the image's own loader, libc and Java runtime start the service, which stops at its missing settings
        // (no cluster here): the entrypoint works without anything from the build machine
        Path root = WORK.resolve(service + "-rootfs");
        for (JsonNode layer : manifest.get("Layers")) {
            extract(files.get(layer.asText()), root);
        }
        List<String> command = new java.util.ArrayList<>(List.of(root.resolve("lib64/ld-linux-x86-64.so.2").toString(),
                "--library-path", root.resolve("lib/x86_64-linux-gnu") + ":" + root.resolve("opt/java/lib") + ":"
                        + root.resolve("opt/java/lib/server"), root.resolve("opt/java/bin/java").toString()));
        entrypoint.subList(1, entrypoint.size()).forEach(a -> command.add(a.startsWith("/deployments/")
                ? root.resolve(a.substring(1)).toString() : a));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(2, java.util.concurrent.TimeUnit.MINUTES));
        assertTrue(output.contains("SRCFG00014") && output.contains("tuneforge.s3.endpoint"), service + ": " + output);
        deleteTree(root);

        JsonNode sbom = JSON.readTree(built.sbom().toFile());
        assertEquals("SPDX-2.3", sbom.get("spdxVersion").asText());
        Set<String> names = new HashSet<>();
        sbom.get("packages").forEach(p -> names.add(p.get("name").asText()));
        assertTrue(names.containsAll(Set.of("libc6", "quarkus-core")), names.toString());
        assertTrue(names.stream().anyMatch(n -> n.contains("Java runtime")), names.toString());
    }

    /** Writes a gzipped layer's regular files under {@code root}, executable where the layer says so. */
    private static void extract(byte[] layer, Path root) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(
                new java.io.ByteArrayInputStream(layer)))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (!e.isFile()) {
                    continue;
                }
                Path file = root.resolve(e.getName().replaceFirst("^/", "")).normalize();
                Files.createDirectories(file.getParent());
                Files.copy(tar, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                if ((e.getMode() & 0100) != 0) {
                    file.toFile().setExecutable(true);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var files = Files.walk(root)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    /** The entries of a tar: names with their bytes, or only names. */
    private static Map<String, byte[]> entries(InputStream in, boolean namesOnly) throws IOException {
        Map<String, byte[]> entries = new HashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String name = e.getName().replaceFirst("^\\./", "").replaceFirst("^/", "");
                entries.put(name, namesOnly ? new byte[0] : tar.readAllBytes());
            }
        }
        return entries;
    }
}
