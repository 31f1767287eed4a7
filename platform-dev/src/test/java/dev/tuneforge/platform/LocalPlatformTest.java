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
    void badCommandLinesAreUsageErrors() {
        assertThrows(IllegalArgumentException.class, () -> platform.run(new String[] {"sideways", "--data", "x"}));
        assertThrows(IllegalArgumentException.class, () -> platform.run(new String[] {"up"}));
        assertThrows(IllegalArgumentException.class, () -> platform.run(new String[] {}));
    }
}
