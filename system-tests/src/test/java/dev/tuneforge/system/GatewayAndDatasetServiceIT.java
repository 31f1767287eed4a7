package dev.tuneforge.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.Topics;
import dev.tuneforge.platform.EmbeddedStack;
import dev.tuneforge.platform.Ports;
import dev.tuneforge.platform.ServiceProcess;
import dev.tuneforge.platform.ServiceProcess.Service;
import dev.tuneforge.platform.test.TopicClient;
import io.minio.GetObjectArgs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway and dataset-service as real processes on the real broker, database and S3 server.
 * Datasets are uploaded, appended and uploaded again over the public API with the right versions; and
 * an upload leaves the gateway's outbox as {@code DatasetUploaded}, dataset-service handles it once,
 * and neither a redelivered record nor a full replay of the topic causes a second effect.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayAndDatasetServiceIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static EmbeddedStack stack;
    private static Path repo;
    private static Path logs;
    private static ServiceProcess gateway;
    private static ServiceProcess datasetService;
    private static Service datasetServiceOnPort;
    private static String adminKey;

    @BeforeAll
    static void startPlatform() throws Exception {
        repo = Path.of(System.getProperty("tuneforge.repo", "..")).toAbsolutePath().normalize();
        logs = Files.createDirectories(repo.resolve("system-tests/target/service-logs"));
        stack = EmbeddedStack.ephemeral().start();
        Path adminKeyFile = logs.resolve("gateway-admin-key");
        Files.deleteIfExists(adminKeyFile);
        gateway = ServiceProcess.start(Service.named("gateway").onPort(Ports.freePort()), repo, stack, logs,
                Map.of("tuneforge.admin-key-file", adminKeyFile.toString()));
        datasetServiceOnPort = Service.named("dataset-service").onPort(Ports.freePort());
        datasetService = ServiceProcess.start(datasetServiceOnPort, repo, stack, logs, Map.of());
        ServiceProcess.awaitAllReady(List.of(gateway, datasetService), Duration.ofMinutes(3), System.out::println);
        // The gateway's first start created the admin key and wrote it there, as for bin/tuneforge up.
        adminKey = Files.readString(adminKeyFile).strip();
    }

    @AfterAll
    static void stopPlatform() {
        for (ServiceProcess service : new ServiceProcess[] {gateway, datasetService}) {
            if (service != null) {
                service.stop();
            }
        }
        if (stack != null) {
            stack.stop();
        }
    }

    @Test
    @Order(2) // kills and restarts dataset-service, so it runs last
    void anUploadIsHandledOnceEvenAfterRedeliveryAndAReplayOfTheWholeTopic() throws Exception {
        TopicClient topics = new TopicClient(stack.kafkaBootstrapServers());

        String id = upload("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
                + "{\"role\":\"assistant\",\"content\":\"{\\\"ok\\\":true}\"}]}\n");
        await().atMost(WAIT).until(() -> "ready".equals(dataset(id).path("status").asText()));
        assertEquals(1, topics.events(DatasetUploaded.class, id).size(), "one DatasetUploaded left the outbox");
        assertEquals(1, topics.events(DatasetReady.class, id).size(), "dataset-service handled it once");

        // 1. A redelivery: the very same record (same ce_id) arrives again.
        ConsumerRecord<String, String> original = topics.readAll(Topics.DATASETS).stream()
                .filter(r -> id.equals(r.key()) && "dev.tuneforge.dataset.uploaded.v1"
                        .equals(TopicClient.header(r, CloudEventHeaders.TYPE)))
                .findFirst().orElseThrow();
        RecordMetadata redelivered = topics.send(new ProducerRecord<>(original.topic(), null, original.key(),
                original.value(), original.headers()));
        await().atMost(WAIT).until(() -> topics.consumed("dataset-service", redelivered));
        assertEquals(1, topics.events(DatasetReady.class, id).size(), "no second effect after a redelivery");

        // 2. dataset-service is killed, its consumer group rewound to the start, and it comes back:
        //    every event on the topic is delivered again.
        datasetService.kill();
        rewindToStart("dataset-service", Topics.DATASETS);
        datasetService = ServiceProcess.start(datasetServiceOnPort, repo, stack, logs, Map.of());
        datasetService.awaitReady(Duration.ofMinutes(3));
        RecordMetadata marker = topics.send(new ProducerRecord<>(original.topic(), original.partition(),
                original.key(), original.value(), original.headers()));
        await().atMost(WAIT).until(() -> topics.consumed("dataset-service", marker));

        assertEquals(1, topics.events(DatasetReady.class, id).size(), "no second effect after a full replay");
        assertEquals(1, dataset(id).path("version").asInt());
    }

    @Test
    @Order(1)
    void uploadingAppendingAndReuploadingGiveTheRightVersionsOverThePublicApi() throws Exception {
        TopicClient topics = new TopicClient(stack.kafkaBootstrapServers());
        String id = post("/api/v1/datasets?name=squares&format=completion", examples(0, 20)).path("id").asText();
        await().atMost(WAIT).until(() -> !"validating".equals(dataset(id).path("status").asText()));
        assertEquals("ready", dataset(id).path("status").asText(), dataset(id).toString());
        JsonNode v1 = get("/api/v1/datasets/" + id + "/versions/1");
        assertTrue(v1.path("parent_version").isNull());
        assertEquals(20, v1.path("new_examples").asInt());
        assertEquals(20, v1.path("train_examples").asInt() + v1.path("validation_examples").asInt());

        // Append 10 lines, 5 of which v1 has already.
        post("/api/v1/datasets/" + id + "/versions", examples(15, 25));
        await().atMost(WAIT).until(() -> dataset(id).path("version").asInt() == 2);
        JsonNode v2 = get("/api/v1/datasets/" + id + "/versions/2");
        assertEquals(1, v2.path("parent_version").asInt());
        assertEquals(5, v2.path("new_examples").asInt());
        assertEquals(25, v2.path("train_examples").asInt() + v2.path("validation_examples").asInt());

        // v1's content again, as a version of its own: that is v1, not a third version.
        post("/api/v1/datasets/" + id + "/versions?mode=replace", examples(0, 20));
        await().atMost(WAIT).until(() -> topics.events(DatasetReady.class, id).size() == 3);
        assertEquals(List.of(1, 2, 1), topics.events(DatasetReady.class, id).stream().map(DatasetReady::version).toList());
        assertEquals(Arrays.asList(null, 1, null),
                topics.events(DatasetUploaded.class, id).stream().map(DatasetUploaded::appendTo).toList());
        assertEquals(2, get("/api/v1/datasets/" + id + "/versions").path("data").size());
        assertEquals(v1.path("content_sha256").asText(), topics.events(DatasetReady.class, id).get(2).contentSha256());

        // The digest in the version is the digest of the exact bytes stored.
        try (InputStream train = stack.s3Client().getObject(GetObjectArgs.builder().bucket(stack.bucket())
                .object(v2.path("train_key").asText()).build())) {
            assertEquals(v2.path("train_sha256").asText(),
                    HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(train.readAllBytes())));
        }
    }

    private static String examples(int from, int to) {
        StringBuilder jsonl = new StringBuilder();
        for (int i = from; i < to; i++) {
            jsonl.append("{\"prompt\":\"What is ").append(i).append(" squared?\",\"completion\":\"")
                    .append(i * i).append("\"}\n");
        }
        return jsonl.toString();
    }

    private static JsonNode get(String path) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.url() + path))
                .header("Authorization", "Bearer " + adminKey).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private static JsonNode post(String path, String jsonl) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.url() + path))
                .header("Content-Type", "application/jsonl").header("Authorization", "Bearer " + adminKey)
                .POST(HttpRequest.BodyPublishers.ofString(jsonl)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private static String upload(String jsonl) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create(gateway.url() + "/api/v1/datasets?name=it&format=chat"))
                .header("Content-Type", "application/jsonl").header("Authorization", "Bearer " + adminKey)
                .POST(HttpRequest.BodyPublishers.ofString(jsonl)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, response.statusCode(), response.body());
        return JSON.readTree(response.body()).path("id").asText();
    }

    private static JsonNode dataset(String id) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                URI.create(gateway.url() + "/api/v1/datasets/" + id)).header("Authorization", "Bearer " + adminKey)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    private static void rewindToStart(String groupId, String topic) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        try (Admin admin = Admin.create(props)) {
            // The killed member's session must expire before the group accepts new offsets.
            await().atMost(WAIT).ignoreExceptions().until(() -> {
                Map<TopicPartition, OffsetAndMetadata> start = admin.describeTopics(List.of(topic))
                        .allTopicNames().get().get(topic).partitions().stream()
                        .collect(Collectors.toMap(p -> new TopicPartition(topic, p.partition()),
                                p -> new OffsetAndMetadata(0)));
                admin.alterConsumerGroupOffsets(groupId, start).all().get();
                return true;
            });
        }
    }
}
