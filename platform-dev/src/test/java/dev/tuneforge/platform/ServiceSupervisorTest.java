package dev.tuneforge.platform;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code up}'s supervision of its services, with the stand-in service as real processes. */
class ServiceSupervisorTest {

    @TempDir
    static Path dir;
    private static Path jar;

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final PrintStream console = new PrintStream(output, true, StandardCharsets.UTF_8);

    @BeforeAll
    static void packFakeService() throws Exception {
        jar = ServiceProcessTest.packFakeService(dir.resolve("fake-service.jar"));
    }

    private Supplier<ServiceProcess> starter(String name, int port, Map<String, String> properties) {
        return () -> ServiceProcess.start(name, jar, port, properties, dir.resolve("logs/" + name + ".log"), List.of());
    }

    private ServiceSupervisor supervisor(Path data) {
        return new ServiceSupervisor(data, console, Duration.ofMillis(100), Duration.ofMillis(200),
                Duration.ofMillis(800), Duration.ofMinutes(5), Duration.ofMillis(200));
    }

    private String console() {
        return output.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aServiceKilledWhileThePlatformRunsIsRestartedSaidSoAndCountedInTheStatus() {
        Path data = dir.resolve("killed");
        Supplier<ServiceProcess> start = starter("dataset-service", Ports.freePort(), Map.of());
        ServiceProcess first = start.get();
        first.awaitReady(Duration.ofSeconds(60));
        try (ServiceSupervisor supervisor = supervisor(data)) {
            supervisor.add(first, start);
            supervisor.start();

            first.kill(); // as kill -9 would

            await().atMost(Duration.ofSeconds(60)).until(() -> console().contains("dataset-service is ready again"));
            ServiceProcess second = supervisor.processes().getFirst();
            assertTrue(second.isAlive() && second.isReady());
            assertTrue(console().contains("dataset-service exited with code 137 (signal 9); restarting it in 200ms"),
                    console());
            assertEquals("ready, restarted once, last exit 137 (signal 9) at",
                    ServiceSupervisor.readSummaries(data).get("dataset-service").replaceAll(" [^ ]+$", ""));
            supervisor.close();
            second.stop();
            assertFalse(second.isAlive());
        }
        assertTrue(ServiceSupervisor.readSummaries(data).get("dataset-service").startsWith("stopped"));
    }

    @Test
    void aServiceThatKeepsFailingIsRetriedWithABackoffThatDoublesUpToItsCap() {
        Path data = dir.resolve("failing");
        int port = Ports.freePort();
        ServiceProcess healthy = starter("registry-service", port, Map.of()).get();
        healthy.awaitReady(Duration.ofSeconds(60));
        try (ServiceSupervisor supervisor = supervisor(data)) {
            supervisor.add(healthy, starter("registry-service", port, Map.of("fake.fail", "true")));
            supervisor.start();
            healthy.kill();
            await().atMost(Duration.ofSeconds(90)).until(() -> delays().size() >= 5);
        }
        List<Long> delays = delays();
        assertEquals(List.of(200L, 400L, 800L, 800L), delays.subList(0, 4), console());
        assertTrue(console().contains("registry-service exited with code 3; restarting it in"), console());
        assertTrue(ServiceSupervisor.readSummaries(data).get("registry-service").startsWith("stopped, restarted "));
    }

    @Test
    void aServiceThatRunsButIsNoLongerLiveIsKilledAndRestarted() {
        Path data = dir.resolve("stuck");
        Supplier<ServiceProcess> start = starter("trainer-service", Ports.freePort(), Map.of("fake.live-for-ms", "1500"));
        ServiceProcess stuck = start.get();
        stuck.awaitReady(Duration.ofSeconds(60));
        try (ServiceSupervisor supervisor = supervisor(data)) {
            supervisor.add(stuck, start);
            supervisor.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> console().contains("trainer-service is ready again"));
        }
        assertFalse(stuck.isAlive());
        assertTrue(console().contains("trainer-service is running but not live (3 failed checks of /q/health/live); "
                + "killing it to restart it"), console());
        assertTrue(console().contains("trainer-service exited with code 137 (signal 9)"), console());
    }

    @Test
    void closingTheSupervisorFirstMeansAServiceBeingStoppedIsNotRestarted() {
        Path data = dir.resolve("stopping");
        Supplier<ServiceProcess> start = starter("gateway", Ports.freePort(), Map.of());
        ServiceProcess service = start.get();
        service.awaitReady(Duration.ofSeconds(60));
        ServiceSupervisor supervisor = supervisor(data);
        supervisor.add(service, start);
        supervisor.start();
        supervisor.close();
        service.stop();
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(5))
                .until(() -> !console().contains("restart"));
        assertEquals(List.of(service), supervisor.processes());
    }

    private List<Long> delays() {
        Matcher m = Pattern.compile("restarting it in (\\d+)ms").matcher(console());
        return m.results().map(r -> Long.parseLong(r.group(1))).toList();
    }
}
