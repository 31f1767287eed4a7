package dev.tuneforge.gateway;

import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static dev.tuneforge.gateway.Gateway.ADMIN;
import static dev.tuneforge.gateway.Gateway.as;
import static org.hamcrest.Matchers.is;

/** OIDC off (the default): a bearer token that is not an API key is an unknown key, as always. */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class OidcOffTest {

    @Test
    void aJwtIsAnUnknownKeyWhenOidcIsOff() {
        String jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3Qta2V5LTEifQ"
                + ".eyJzdWIiOiJhbGljZSIsInR1bmVmb3JnZV9wcm9qZWN0IjoiZGVmYXVsdCJ9.c2lnbmF0dXJl";
        as(jwt).when().get("/api/v1/me").then().statusCode(401)
                .body("type", is("https://tuneforge.dev/problems/invalid-api-key"));
        as(ADMIN).when().get("/api/v1/me").then().statusCode(200).body("key_id", is(org.hamcrest.Matchers.startsWith("key_")));
    }
}
