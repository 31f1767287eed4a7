package dev.tuneforge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The root fallback (setpriv wrappers) is used only where zonky cannot use a user namespace, so the
 * stack tests may never reach it; this runs the wrapped binaries directly, the way zonky does.
 */
class PostgresBinariesTest {

    @Test
    void wrappedBinariesRunAClusterAsNobodyWhenRoot() throws Exception {
        assumeTrue(PostgresBinaries.runningAsRoot(), "only root needs the wrappers");
        Path bin = PostgresBinaries.unpackForNobody().resolve("bin");
        Path dir = Files.createTempDirectory("tuneforge-pg-fallback-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path data = dir.resolve("data");
        Path log = dir.resolve("postgres.log");
        int port = Ports.freePort();
        try {
            run(log, bin.resolve("initdb").toString(), "-A", "trust", "-U", "postgres", "-D", data.toString(), "-E", "UTF-8", "--locale=C");
            assertEquals(PostgresBinaries.NOBODY, Files.getAttribute(data, "unix:uid"), "data directory handed to nobody");
            run(log, bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-o", "-p " + port + " -c listen_addresses=127.0.0.1",
                    "-w", "start");
            try (Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
                 ResultSet rows = connection.createStatement().executeQuery("SELECT 1")) {
                assertTrue(rows.next());
            }
        } finally {
            run(log, bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop");
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Output to a file: the postmaster inherits it and outlives pg_ctl, so a pipe would never close. */
    private static void run(Path log, String... command) throws Exception {
        Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        assertEquals(0, process.waitFor(), String.join(" ", command) + "\n" + ChildProcess.logTail(log, 30));
    }
}
