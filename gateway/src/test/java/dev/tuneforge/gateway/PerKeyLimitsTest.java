package dev.tuneforge.gateway;

import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** What one key may do at once, with limits small enough to reach ({@link OwnGateway}). */
@QuarkusTest
@TestProfile(OwnGateway.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class PerKeyLimitsTest {

    private static final String PROBLEM = "https://tuneforge.dev/problems/";
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TestHTTPResource("/api/v1/events")
    URL events;

    @Test
    void aKeyOverItsRateGets429WithRetryAfter() {
        String admin = OwnGateway.adminKey();
        Gateway.Key key = Gateway.newKey(admin, Gateway.newProject(admin), "read-only");
        for (int i = 0; i < OwnGateway.RATE_CAPACITY; i++) {
            assertEquals(200, as(key.secret()).when().get("/api/v1/me").statusCode(), "request " + (i + 1));
        }
        Response over = as(key.secret()).when().get("/api/v1/me");
        over.then().statusCode(429).contentType("application/problem+json")
                .header("Retry-After", notNullValue()).body("type", is(PROBLEM + "rate-limited"));
        // Other keys are not affected.
        as(admin).when().get("/api/v1/me").then().statusCode(200);
    }

    @Test
    void aKeyHoldsOnlySoManyEventStreamsAtOnce() throws Exception {
        String admin = OwnGateway.adminKey();
        String project = Gateway.newProject(admin);
        Gateway.Key key = Gateway.newKey(admin, project, "read-only");
        Gateway.Key other = Gateway.newKey(admin, project, "read-only");
        List<SseClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < OwnGateway.STREAMS_PER_KEY; i++) {
                open.add(stream(key));
            }
            as(key.secret()).accept("text/event-stream").when().get("/api/v1/events").then().statusCode(429)
                    .contentType("application/problem+json").header("Retry-After", notNullValue())
                    .body("type", is(PROBLEM + "too-many-streams"));
            open.add(stream(other));

            // A client that goes away gives its place back.
            open.removeFirst().close();
            AtomicReference<SseClient> again = new AtomicReference<>();
            await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
                SseClient next = SseClient.open(events.toURI(), key.secret(), null);
                await().atMost(WAIT).until(() -> next.status() != 0);
                if (next.status() == 200) {
                    again.set(next);
                    return true;
                }
                next.close();
                return false;
            });
            open.add(again.get());
        } finally {
            open.forEach(SseClient::close);
        }
    }

    private SseClient stream(Gateway.Key key) throws Exception {
        SseClient stream = SseClient.open(events.toURI(), key.secret(), null);
        await().atMost(WAIT).until(() -> stream.status() != 0);
        assertEquals(200, stream.status());
        return stream;
    }
}
