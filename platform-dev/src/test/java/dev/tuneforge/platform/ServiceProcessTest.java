package dev.tuneforge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Launching a service jar the way LocalPlatform and the system tests do, with a stand-in service. */
class ServiceProcessTest {

    @TempDir
    static Path dir;
    private static Path jar;

    @BeforeAll
    static void packFakeService() throws Exception {
        jar = packFakeService(dir.resolve("fake-service.jar"));
    }

    /** {@link FakeService} alone in an executable jar. */
    static Path packFakeService(Path jar) throws Exception {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, FakeService.class.getName());
        String classFile = FakeService.class.getName().replace('.', '/') + ".class";
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest);
             InputStream in = FakeService.class.getClassLoader().getResourceAsStream(classFile)) {
            out.putNextEntry(new JarEntry(classFile));
            in.transferTo(out);
        }
        return jar;
    }

    @Test
    void aServiceGetsItsConfigurationAndIsReadyOnItsPort() throws Exception {
        int port = Ports.freePort();
        ServiceProcess service = ServiceProcess.start("fake-service", jar, port,
                Map.of("kafka.bootstrap.servers", "127.0.0.1:19092"), dir.resolve("logs/fake-service.log"), List.of());
        try {
            service.awaitReady(Duration.ofSeconds(60));
            HttpResponse<String> ready = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(service.url() + "/q/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("127.0.0.1:19092", ready.body());
        } finally {
            service.stop();
        }
        assertFalse(service.isAlive());
        assertFalse(ServiceProcess.isReady(port));
    }

    @Test
    void aServiceThatExitsFailsWithItsLog() {
        ServiceProcess service = ServiceProcess.start("failing-service", jar, Ports.freePort(),
                Map.of("fake.fail", "true"), dir.resolve("logs/failing-service.log"), List.of());
        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> service.awaitReady(Duration.ofSeconds(60)));
        assertTrue(failure.getMessage().contains("failing-service"), failure.getMessage());
        assertTrue(failure.getMessage().contains("failing-service.log"), failure.getMessage());
        assertTrue(failure.getMessage().contains("failing on purpose"), failure.getMessage());
    }

    @Test
    void aMissingJarIsNamed() {
        Path missing = dir.resolve("gateway/target/quarkus-app/quarkus-run.jar");
        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> ServiceProcess.start(
                "gateway", missing, Ports.freePort(), Map.of(), dir.resolve("logs/gateway.log"), List.of()));
        assertTrue(failure.getMessage().contains(missing.toString()), failure.getMessage());
    }
}
