package dev.tuneforge.gateway;

import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.tuneforge.gateway.Gateway.as;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's first start ({@link OwnGateway}: empty tables, no preset key): the platform admin key goes to
 * the key file only, and no secret reaches the log, then or when keys are created and rotated.
 */
@QuarkusTest
@TestProfile(OwnGateway.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class FirstStartTest {

    /** An API key's secret: tf_ and 256 random bits (the hint, tf_ and 6 characters, is not one). */
    private static final Pattern SECRET = Pattern.compile("tf_[A-Za-z0-9_-]{20,}");

    @ConfigProperty(name = "tuneforge.s3.secret-key")
    String s3Secret;

    @Test
    void theAdminKeyReachesOnlyItsFileAndNoSecretReachesTheLog() throws Exception {
        String admin = OwnGateway.adminKey();
        assertTrue(SECRET.matcher(admin).matches(), "a generated key: " + admin);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(OwnGateway.ADMIN_KEY_FILE)));
        as(admin).when().get("/api/v1/me").then().statusCode(200)
                .body("project_id", is("default")).body("platform_admin", is(true));

        String project = Gateway.newProject(admin);
        Gateway.Key key = Gateway.newKey(admin, project, "member");
        String rotated = as(admin).when().post("/api/v1/keys/" + key.id() + "/rotate").then().statusCode(200)
                .extract().path("secret");
        as(rotated).when().get("/api/v1/me").then().statusCode(200);

        String log = Files.readString(OwnGateway.LOG);
        assertTrue(log.contains("created the admin API key"), "the log covers the first start:\n" + log);
        for (String secret : List.of(admin, key.secret(), rotated, s3Secret)) {
            assertFalse(log.contains(secret), "a secret in the gateway's log: " + secret);
        }
        Matcher anySecret = SECRET.matcher(log);
        assertFalse(anySecret.find(), () -> "a key's secret in the gateway's log: " + anySecret.group());
    }
}
