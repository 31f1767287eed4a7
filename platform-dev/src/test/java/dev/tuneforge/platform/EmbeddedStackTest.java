package dev.tuneforge.platform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.Topics;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The ephemeral stack behind every service test, reached the way a service test reaches it. */
class EmbeddedStackTest {

    private static Map<String, String> config;
    private static EmbeddedStack stack;

    @BeforeAll
    static void startThroughTheTestResource() {
        TuneforgeStack resource = new TuneforgeStack();
        resource.init(Map.of(TuneforgeStack.DATABASE, "dataset"));
        config = resource.start();
        stack = TuneforgeStack.stack();
    }

    @Test
    void testResourceHandsServicesTheStacksAddresses() {
        assertEquals(stack.kafkaBootstrapServers(), config.get("kafka.bootstrap.servers"));
        assertEquals(stack.jdbcUrl("dataset"), config.get("quarkus.datasource.jdbc.url"));
        assertTrue(config.get("quarkus.datasource.jdbc.url").endsWith("/dataset"));
        assertEquals("postgres", config.get("quarkus.datasource.username"));
        assertEquals(stack.dbPassword(), config.get("quarkus.datasource.password"));
        assertEquals(stack.s3Endpoint(), config.get("tuneforge.s3.endpoint"));
        assertEquals(stack.s3AccessKey(), config.get("tuneforge.s3.access-key"));
        assertEquals(stack.s3SecretKey(), config.get("tuneforge.s3.secret-key"));
        assertEquals("tuneforge", config.get("tuneforge.s3.bucket"));
        assertEquals("us-east-1", config.get("tuneforge.s3.region"));

        TuneforgeStack another = new TuneforgeStack();
        another.init(Map.of(TuneforgeStack.DATABASE, "trainer"));
        assertEquals(stack.jdbcUrl("trainer"), another.start().get("quarkus.datasource.jdbc.url"));
        assertSame(stack, TuneforgeStack.stack(), "one stack per JVM");
    }

    @Test
    void everyTopicExistsWithItsPartitions() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers()))) {
            Map<String, TopicDescription> topics =
                    admin.describeTopics(Topics.all()).allTopicNames().get(30, TimeUnit.SECONDS);
            for (String topic : Topics.MAIN) {
                assertEquals(Topics.PARTITIONS, topics.get(topic).partitions().size(), topic);
                assertEquals(Topics.DLQ_PARTITIONS, topics.get(Topics.dlq(topic)).partitions().size(), Topics.dlq(topic));
            }
        }
    }

    @Test
    void aRecordProducedOnDatasetsIsConsumed() throws Exception {
        String value = "{\"datasetId\":\"" + UUID.randomUUID() + "\"}";
        RecordMetadata sent = StackClients.produce(stack, Topics.DATASETS, "ds-1", value);
        assertTrue(sent.partition() >= 0 && sent.partition() < Topics.PARTITIONS);

        var records = StackClients.readUntil(stack, Topics.DATASETS, value, Duration.ofSeconds(30));
        assertEquals("ds-1", records.getLast().key());
    }

    @Test
    void a20MegabyteObjectMakesAMultipartRoundTrip() throws Exception {
        byte[] content = new byte[20 * 1024 * 1024];
        new Random(42).nextBytes(content);
        MinioClient s3 = stack.s3Client();
        String key = "test/multipart-" + UUID.randomUUID() + ".bin";

        s3.putObject(PutObjectArgs.builder().bucket(stack.bucket()).object(key)
                .stream(new ByteArrayInputStream(content), content.length, 5 * 1024 * 1024)
                .build());

        assertEquals(content.length, s3.statObject(StatObjectArgs.builder().bucket(stack.bucket()).object(key).build()).size());
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(stack.bucket()).object(key).build())) {
            assertArrayEquals(sha256(content), sha256(in.readAllBytes()));
        }
    }

    @Test
    void everyServiceHasItsOwnDatabase() throws Exception {
        for (String database : EmbeddedStack.DATABASES) {
            try (Connection connection = DriverManager.getConnection(stack.jdbcUrl(database), stack.dbUsername(), stack.dbPassword());
                 Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE IF NOT EXISTS probe (id int PRIMARY KEY)");
                statement.execute("INSERT INTO probe VALUES (1) ON CONFLICT DO NOTHING");
                try (ResultSet rows = statement.executeQuery("SELECT current_database(), count(*) FROM probe")) {
                    assertTrue(rows.next());
                    assertEquals(database, rows.getString(1));
                    assertEquals(1, rows.getInt(2));
                }
            }
        }
    }

    @Test
    void aKilledBrokerComesBackWithItsRecords() throws Exception {
        String before = "before-" + UUID.randomUUID();
        StackClients.produce(stack, Topics.TRAINING, "job-1", before);

        stack.killKafka();
        assertFalse(stack.isKafkaRunning());
        assertFalse(Ports.isListening(stack.ports().kafka()));
        stack.startKafka();

        String after = "after-" + UUID.randomUUID();
        StackClients.produce(stack, Topics.TRAINING, "job-1", after);
        var records = StackClients.readUntil(stack, Topics.TRAINING, after, Duration.ofSeconds(30));
        assertTrue(records.stream().anyMatch(record -> before.equals(record.value())), "record from before the crash");
    }

    @Test
    void aKilledPostgresComesBackOnItsPortWithEveryCommittedRow() throws Exception {
        String row = "before-" + UUID.randomUUID();
        try (Connection connection = connect("trainer"); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS crash_probe (value text PRIMARY KEY)");
            statement.execute("INSERT INTO crash_probe VALUES ('" + row + "')");
        }
        try (Connection open = connect("trainer")) {
            stack.killPostgres();
            assertFalse(stack.isPostgresRunning());
            assertFalse(Ports.isListening(stack.ports().postgres()));
            assertThrows(SQLException.class, () -> open.createStatement().executeQuery("SELECT 1"),
                    "a connection of the killed server is gone");
        }
        stack.startPostgres();

        assertTrue(stack.isPostgresRunning());
        try (Connection connection = connect("trainer"); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM crash_probe WHERE value = '" + row + "'")) {
            assertTrue(rows.next());
            assertEquals(1, rows.getInt(1), "the row committed before the crash");
        }
    }

    @Test
    void aKilledS3ServerComesBackOnItsPortWithItsObjects() throws Exception {
        MinioClient s3 = stack.s3Client();
        String key = "test/crash-" + UUID.randomUUID() + ".txt";
        byte[] content = "written before the crash".getBytes(StandardCharsets.UTF_8);
        s3.putObject(PutObjectArgs.builder().bucket(stack.bucket()).object(key)
                .stream(new ByteArrayInputStream(content), content.length, -1).build());

        stack.killS3();
        assertFalse(stack.isS3Running());
        assertFalse(Ports.isListening(stack.ports().s3()));
        stack.startS3();

        assertTrue(stack.isS3Running());
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(stack.bucket()).object(key).build())) {
            assertArrayEquals(content, in.readAllBytes(), "the object written before the crash");
        }
    }

    private static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(stack.jdbcUrl(database), stack.dbUsername(), stack.dbPassword());
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }
}
