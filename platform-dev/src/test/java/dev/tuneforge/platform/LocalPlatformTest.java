package dev.tuneforge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's commands, short of running real services (those come with the system tests). */
class LocalPlatformTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final LocalPlatform platform = new LocalPlatform(new PrintStream(output, true, StandardCharsets.UTF_8));

    @Test
    void upRefusesToStartWithoutTheServiceJars() {
        Path data = dir.resolve("data");
        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> platform.run(new String[] {"up", "--data", data.toString(), "--repo", dir.toString()}));
        assertTrue(failure.getMessage().contains(dir.resolve("gateway/target/quarkus-app/quarkus-run.jar").toString()),
                failure.getMessage());
        assertTrue(failure.getMessage().contains("./mvnw"), failure.getMessage());
        assertFalse(Files.exists(data.resolve("tuneforge.pid")), "nothing started");
    }

    @Test
    void downAndStatusReportAPlatformThatIsNotRunning() {
        assertEquals(0, platform.run(new String[] {"down", "--data", dir.toString()}));
        assertEquals(3, platform.run(new String[] {"status", "--data", dir.toString()}));
        assertTrue(output.toString(StandardCharsets.UTF_8).contains("not running"));
    }

    @Test
    void statusShowsTheRestartsTheRunningPlatformRecorded() throws Exception {
        Files.writeString(dir.resolve("tuneforge.pid"), ProcessHandle.current().pid() + "\n"); // "running": this JVM
        Files.writeString(dir.resolve(ServiceSupervisor.STATUS_FILE), """
                dataset-service.state=starting
                dataset-service.restarts=2
                dataset-service.last-exit=137
                dataset-service.last-exit-at=2026-12-05T10\\:00\\:00Z
                gateway.state=ready
                gateway.restarts=0
                """);
        assertEquals(0, platform.run(new String[] {"status", "--data", dir.toString()}));
        String printed = output.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("not ready  (starting, restarted 2 times, last exit 137 (signal 9) at "
                + "2026-12-05T10:00:00Z)"), printed);
        assertTrue(printed.contains("(ready, restarted 0 times)"), printed);
    }

    @Test
    void trainerAndEvalServiceGetADjlAndATorchSlotAndTheProjectsPythonMadeOnFirstUse() {
        Path repo = dir.resolve("my repo");
        Map<String, String> trainer = LocalPlatform.extraProperties(ServiceProcess.Service.named("trainer-service"),
                repo, dir.resolve("data"));
        assertEquals("cpu-0:djl,cpu-1:torch", trainer.get("tuneforge.trainer.slots"));
        assertEquals(repo.resolve("worker/python/.venv/bin/python").toString(),
                trainer.get("tuneforge.trainer.worker.torch-python"));
        assertEquals("bash '" + repo.resolve("bin/tuneforge") + "' python-env",
                trainer.get("tuneforge.trainer.worker.torch-bootstrap"));
        Map<String, String> eval = LocalPlatform.extraProperties(ServiceProcess.Service.named("eval-service"), repo,
                dir.resolve("data"));
        assertEquals("cpu-0:djl,cpu-1:torch", eval.get("tuneforge.eval.slots"));
        assertEquals(trainer.get("tuneforge.trainer.worker.torch-python"), eval.get("tuneforge.eval.torch-python"));
        assertEquals(trainer.get("tuneforge.trainer.worker.torch-bootstrap"), eval.get("tuneforge.eval.torch-bootstrap"));
    }

    @Test
    void aPathIsOneShellWordWhateverItHolds() throws Exception {
        String path = "/it's a \"path\" with $HOME";
        Process sh = new ProcessBuilder("sh", "-c", "printf %s " + LocalPlatform.shellQuoted(path)).start();
        assertEquals(path, new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(0, sh.waitFor());
    }

    @Test
    void badCommandLinesAreUsageErrors() {
        assertThrows(IllegalArgumentException.class, () -> platform.run(new String[] {"sideways", "--data", "x"}));
        assertThrows(IllegalArgumentException.class, () -> platform.run(new String[] {"up"}));
        assertThrows(IllegalArgumentException.class, () -> platform.run(new String[] {}));
    }
}
