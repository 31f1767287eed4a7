package dev.tuneforge.dataset;

import dev.tuneforge.dataset.storage.DatasetVersions;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "dataset"))
class UploadIngestionTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    ObjectStore objects;
    @Inject
    DatasetVersions versions;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aValidUploadBecomesAReadyVersion() {
        String datasetId = "ds_" + UUID.randomUUID();
        DatasetUploaded upload = upload(datasetId, """
                {"prompt": "2+2?", "completion": "4"}
                {"prompt": "capital of France?", "completion": "Paris"}
                """);

        new TopicClient(bootstrap).publish(upload, "gateway");

        await().atMost(WAIT).until(() -> !topics().events(DatasetReady.class, datasetId).isEmpty());
        DatasetReady ready = topics().events(DatasetReady.class, datasetId).get(0);
        assertEquals(1, ready.version());
        assertEquals(2, ready.trainExamples());
        assertEquals(upload.objectKey(), ready.trainKey());
    }

    @Test
    void anUploadWithBrokenLinesIsRejectedNamingTheLines() {
        String datasetId = "ds_" + UUID.randomUUID();
        DatasetUploaded upload = upload(datasetId, """
                {"prompt": "ok", "completion": "fine"}
                {"prompt": "missing brace"
                ["an", "array"]
                """);

        new TopicClient(bootstrap).publish(upload, "gateway");

        await().atMost(WAIT).until(() -> !topics().events(DatasetRejected.class, datasetId).isEmpty());
        DatasetRejected rejected = topics().events(DatasetRejected.class, datasetId).get(0);
        assertEquals(2, rejected.errorCount());
        assertEquals("2 line(s) are not a JSON object (first: [2, 3])", rejected.reason());
    }

    @Test
    void aRedeliveredUploadHasNoSecondEffect() {
        String datasetId = "ds_" + UUID.randomUUID();
        EventEnvelope envelope = EventEnvelope.wrap(upload(datasetId, "{\"prompt\":\"a\",\"completion\":\"b\"}\n"),
                "gateway");

        topics().send(TopicClient.toRecord(envelope));
        await().atMost(WAIT).until(() -> topics().events(DatasetReady.class, datasetId).size() == 1);
        RecordMetadata redelivery = topics().send(TopicClient.toRecord(envelope));
        await().atMost(WAIT).until(() -> topics().consumed("dataset-service", redelivery));

        assertEquals(1, topics().events(DatasetReady.class, datasetId).size());
        assertEquals(1, versions.count(datasetId));
    }

    @Test
    void readyWhenBrokerDatabaseAndObjectStoreAre() {
        RestAssured.when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
    }

    private TopicClient topics() {
        return new TopicClient(bootstrap);
    }

    private DatasetUploaded upload(String datasetId, String jsonl) {
        String key = "projects/prj_test/uploads/" + datasetId + ".jsonl";
        byte[] bytes = jsonl.getBytes(StandardCharsets.UTF_8);
        objects.put(key, bytes, "application/jsonl");
        return new DatasetUploaded("prj_test", datasetId, "test", "completion", key, "unused", bytes.length, null,
                null, "test");
    }

}
