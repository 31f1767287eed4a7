package dev.tuneforge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.tuneforge.gateway.Gateway.ADMIN;
import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GET /api/v1/events as Server-Sent Events: live, project-scoped, resumable with Last-Event-ID, and no longer
 * than the key that opened it.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class EventStreamTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @TestHTTPResource("/api/v1/events")
    URL events;
    @TestHTTPResource("/")
    URL base;
    @Inject
    Jdbc jdbc;

    @Test
    void aClientThatReconnectsWithLastEventIdGetsEveryMissedEventExactlyOnce() throws Exception {
        String project = Gateway.newProject();
        String other = Gateway.newProject();
        Gateway.Key key = Gateway.newKey(project, "read-only");
        TopicClient topics = new TopicClient(bootstrap);

        List<String> seen = new ArrayList<>();
        String lastId = null;
        try (SseClient stream = SseClient.open(URI.create(events + "?after=0"), key.secret(), null)) {
            for (int i = 1; i <= 3; i++) {
                topics.publish(new TrainingStarted(project, "job-" + i, 1, "djl", "cpu-0", null), "trainer-service");
                topics.publish(new TrainingStarted(other, "other-job-" + i, 1, "djl", "cpu-0", null), "trainer-service");
            }
            for (int i = 0; i < 3; i++) {
                SseClient.Event event = stream.next(WAIT);
                assertNotNull(event, "live event " + (i + 1) + " of 3");
                seen.add(subject(event));
                lastId = event.id();
            }
            assertEquals(List.of("job-1", "job-2", "job-3"), seen);
        }
        String resumeFrom = lastId;

        // Disconnected: three more happen, and reach the read model, while nobody listens.
        for (int i = 4; i <= 6; i++) {
            topics.publish(new TrainingStarted(project, "job-" + i, 1, "djl", "cpu-0", null), "trainer-service");
        }
        await().atMost(WAIT).untilAsserted(() -> as(key.secret()).queryParam("after", resumeFrom)
                .when().get("/api/v1/events").then().statusCode(200).body("data.size()", is(3)));

        try (SseClient resumed = SseClient.open(events.toURI(), key.secret(), lastId)) {
            List<String> missed = new ArrayList<>();
            long previous = Long.parseLong(lastId);
            for (int i = 0; i < 3; i++) {
                SseClient.Event event = resumed.next(WAIT);
                assertNotNull(event, "missed event " + (i + 1) + " of 3");
                assertTrue(Long.parseLong(event.id()) > previous, "ids increase: " + event.id());
                previous = Long.parseLong(event.id());
                missed.add(subject(event));
            }
            assertEquals(List.of("job-4", "job-5", "job-6"), missed);

            // Then live again, with nothing repeated in between.
            topics.publish(new TrainingStarted(project, "job-7", 1, "djl", "cpu-0", null), "trainer-service");
            SseClient.Event next = resumed.next(WAIT);
            assertNotNull(next);
            assertEquals("job-7", subject(next));
            assertEquals("dev.tuneforge.training.started.v1", next.name());
            assertTrue(resumed.drain(Duration.ofMillis(800)).isEmpty(), "no duplicates");
        }
    }

    @Test
    void aStreamNeedsAValidKey() throws Exception {
        try (SseClient stream = SseClient.open(events.toURI(), null, null)) {
            await().atMost(WAIT).until(() -> stream.status() != 0);
            assertEquals(401, stream.status());
        }
    }

    @Test
    void aStreamEndsAsSoonAsItsKeyIsRevokedOrRotated() throws Exception {
        String project = Gateway.newProject();
        Gateway.Key revoked = Gateway.newKey(project, "read-only");
        Gateway.Key rotated = Gateway.newKey(project, "read-only");
        new TopicClient(bootstrap).publish(new TrainingStarted(project, "job-k", 1, "djl", "cpu-0", null),
                "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(rotated.secret()).when().get("/api/v1/jobs/job-k")
                .then().statusCode(200));

        try (SseClient all = SseClient.open(URI.create(events + "?after=0"), revoked.secret(), null);
             SseClient job = SseClient.open(URI.create(base + "api/v1/jobs/job-k/events"), rotated.secret(), null)) {
            assertNotNull(all.next(WAIT), "the project's stream is live");
            assertNotNull(job.next(WAIT), "the job's stream is live");

            as(ADMIN).when().post("/api/v1/keys/" + revoked.id() + "/revoke").then().statusCode(200);
            await().atMost(WAIT).until(all::ended);
            assertFalse(job.ended(), "another key's stream goes on");

            as(ADMIN).when().post("/api/v1/keys/" + rotated.id() + "/rotate").then().statusCode(200);
            await().atMost(WAIT).until(job::ended);
        }
    }

    @Test
    void aStreamEndsWhenAnotherGatewayReplicaRevokesItsKey() throws Exception {
        Gateway.Key key = Gateway.newKey(Gateway.newProject(), "read-only");
        try (SseClient stream = SseClient.open(events.toURI(), key.secret(), null)) {
            await().atMost(WAIT).until(() -> stream.status() != 0);
            assertEquals(200, stream.status());
            // Another replica's revocation: the table changes, this replica hears nothing of it.
            assertEquals(1, jdbc.update("UPDATE api_keys SET revoked_at = now() WHERE key_id = ?", key.id()));
            await().atMost(WAIT).until(stream::ended);
        }
    }

    private static String subject(SseClient.Event event) throws Exception {
        JsonNode data = JSON.readTree(event.data());
        assertEquals(event.id(), data.path("seq").asText());
        return data.path("subject").asText();
    }
}
