package dev.tuneforge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.Topics;
import io.minio.GetObjectArgs;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What `bin/tuneforge up` relies on: a stack restarted on its data directory has lost nothing. */
class PersistentStackTest {

    private Path dataDir;

    @BeforeEach
    void createDataDirectory() throws Exception {
        dataDir = Files.createTempDirectory("tuneforge-persistent-");
        Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void deleteDataDirectory() throws Exception {
        new ProcessBuilder("rm", "-rf", dataDir.toString()).start().waitFor();
    }

    @Test
    void recordsObjectsAndRowsSurviveARestart() throws Exception {
        // Free ports stand in for the fixed defaults, which a developer's own stack may hold.
        StackPorts ports = StackPorts.random();
        String record = "job-" + UUID.randomUUID();
        String objectKey = "projects/p1/datasets/d1/v1/train.jsonl";
        String objectBody = "{\"messages\":[]}\n";

        try (EmbeddedStack first = EmbeddedStack.persistent(dataDir, ports).start()) {
            assertThrows(IllegalStateException.class, () -> EmbeddedStack.persistent(dataDir, ports).start(),
                    "a second stack on the same data directory is refused");
            StackClients.produce(first, Topics.TRAINING, "job-1", record);
            first.s3Client().putObject(PutObjectArgs.builder().bucket(first.bucket()).object(objectKey)
                    .stream(new ByteArrayInputStream(objectBody.getBytes(StandardCharsets.UTF_8)), objectBody.length(), -1)
                    .build());
            try (Connection connection = connect(first); Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE models (name text PRIMARY KEY)");
                statement.execute("INSERT INTO models VALUES ('support-bot')");
            }
        }
        assertFalse(Ports.isListening(ports.kafka()), "broker stopped");
        assertTrue(Files.isDirectory(dataDir.resolve("postgres")), "a persistent stack keeps its directory");

        try (EmbeddedStack second = EmbeddedStack.persistent(dataDir, ports).start()) {
            StackClients.readUntil(second, Topics.TRAINING, record, Duration.ofSeconds(30));
            try (InputStream in = second.s3Client().getObject(
                    GetObjectArgs.builder().bucket(second.bucket()).object(objectKey).build())) {
                assertEquals(objectBody, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            try (Connection connection = connect(second); Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT name FROM models")) {
                assertTrue(rows.next());
                assertEquals("support-bot", rows.getString(1));
            }
        }
    }

    private static Connection connect(EmbeddedStack stack) throws Exception {
        return DriverManager.getConnection(stack.jdbcUrl("registry"), stack.dbUsername(), stack.dbPassword());
    }
}
