package dev.tuneforge.gateway;

import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import static dev.tuneforge.gateway.Gateway.as;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** What one key may do at once, with limits small enough to reach ({@link OwnGateway}). */
@QuarkusTest
@TestProfile(OwnGateway.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class PerKeyLimitsTest {

    private static final String PROBLEM = "https://tuneforge.dev/problems/";

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
}
