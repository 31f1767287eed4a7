package dev.tuneforge.kit;

import dev.tuneforge.kit.storage.ObjectStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(OutageProneStack.class)
class ObjectStoreTest {

    @Inject
    ObjectStore store;

    @Test
    void writesReadsListsAndDeletesThroughTheS3Api() throws Exception {
        String prefix = "projects/prj_test/datasets/" + UUID.randomUUID() + "/v1/";
        byte[] body = "{\"prompt\":\"hi\",\"completion\":\"there\"}\n".getBytes(StandardCharsets.UTF_8);

        store.put(prefix + "train.jsonl", body, "application/jsonl");

        assertTrue(store.exists(prefix + "train.jsonl"));
        try (InputStream in = store.get(prefix + "train.jsonl")) {
            assertEquals(new String(body, StandardCharsets.UTF_8), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(List.of(prefix + "train.jsonl"), store.list(prefix));
        store.copy(prefix + "train.jsonl", prefix + "copy.jsonl");
        try (InputStream in = store.get(prefix + "copy.jsonl")) {
            assertEquals(new String(body, StandardCharsets.UTF_8), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        store.delete(prefix + "copy.jsonl");
        store.delete(prefix + "train.jsonl");
        assertFalse(store.exists(prefix + "train.jsonl"));
    }

    @Test
    void readinessCoversTheBrokerTheDatabaseAndTheObjectStore() {
        RestAssured.when().get("/q/health/ready").then()
                .statusCode(200)
                .body("status", is("UP"))
                .body("checks.name", hasItems("object-store", "Database connections health check",
                        "SmallRye Reactive Messaging - readiness check"));
    }

    @Test
    void metricsAreExportedInPrometheusFormat() {
        RestAssured.when().get("/q/metrics").then()
                .statusCode(200)
                .body(org.hamcrest.Matchers.containsString("tuneforge_outbox_pending"));
    }
}
