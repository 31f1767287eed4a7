package dev.tuneforge.gateway;

import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static dev.tuneforge.gateway.Gateway.ADMIN;
import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/**
 * OIDC switched on ({@code quarkus.oidc.tenant-enabled=true}) against a local issuer ({@link OidcIssuer}):
 * a token is verified (signature, issuer, audience, expiry) and its claims name the project and role;
 * API keys keep working in the same application.
 */
@QuarkusTest
@TestProfile(OidcAuthTest.OidcOn.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class OidcAuthTest {

    private static final String PROBLEM = "https://tuneforge.dev/problems/";
    @TestHTTPResource("/")
    URL base;

    private static final String JSONL = "{\"prompt\":\"2+2?\",\"completion\":\"4\"}\n";

    /** OIDC on, against the local issuer. */
    public static class OidcOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.oidc.tenant-enabled", "true");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(OidcIssuer.class));
        }
    }

    @Test
    void aTokenOfProjectPAsMemberWorksInPAndSeesNothingOfQ() {
        String p = Gateway.newProject();
        String q = Gateway.newProject();
        Gateway.Key qMember = Gateway.newKey(q, "member");
        String qDataset = upload(qMember.secret(), "q-data");

        String token = sign(claims("alice", p, "member"));
        as(token).when().get("/api/v1/me").then().statusCode(200)
                .body("key_id", is("oidc:alice")).body("project_id", is(p)).body("role", is("member"))
                .body("platform_admin", is(false));
        String pDataset = upload(token, "p-data");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> as(token).when().get("/api/v1/datasets?limit=200")
                .then().statusCode(200).body("data.id", hasItem(pDataset)).body("data.id", not(hasItem(qDataset))));
        as(token).when().get("/api/v1/datasets/" + pDataset).then().statusCode(200);
        as(token).when().get("/api/v1/datasets/" + qDataset).then().statusCode(404)
                .body("type", is(PROBLEM + "not-found"));
        // Q's own key still sees Q's dataset and not P's.
        as(qMember.secret()).when().get("/api/v1/datasets/" + qDataset).then().statusCode(200);
        as(qMember.secret()).when().get("/api/v1/datasets/" + pDataset).then().statusCode(404);
        // A member token manages no keys.
        as(token).when().get("/api/v1/keys").then().statusCode(403).body("type", is(PROBLEM + "forbidden"));
    }

    @Test
    void theRoleClaimDecidesWhatATokenMayDo() {
        String p = Gateway.newProject();
        // No role claim: read-only.
        String reader = sign(Jwt.issuer(issuer()).subject("reader").audience(OidcIssuer.AUDIENCE)
                .claim("tuneforge_project", p));
        as(reader).when().get("/api/v1/me").then().statusCode(200).body("role", is("read-only"));
        as(reader).when().get("/api/v1/datasets").then().statusCode(200);
        as(reader).contentType("application/jsonl").body(JSONL.getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/datasets?name=x").then().statusCode(403).body("type", is(PROBLEM + "forbidden"));
        // A project admin manages its project's keys, but is no platform admin.
        String admin = sign(claims("carol", p, "admin"));
        as(admin).when().get("/api/v1/me").then().statusCode(200).body("role", is("admin"))
                .body("platform_admin", is(false));
        as(admin).when().get("/api/v1/keys").then().statusCode(200);
        as(admin).contentType("application/json").body(Map.of("id", "p-by-token"))
                .when().post("/api/v1/projects").then().statusCode(403);
        // A role that is none of tuneforge's.
        as(sign(claims("dave", p, "owner"))).when().get("/api/v1/me").then().statusCode(403)
                .contentType("application/problem+json").body("type", is(PROBLEM + "invalid-role"));
    }

    @Test
    void aTokenWithoutAKnownProjectIsForbidden() {
        as(sign(claims("erin", "p-does-not-exist", "member"))).when().get("/api/v1/datasets").then().statusCode(403)
                .contentType("application/problem+json").body("type", is(PROBLEM + "unknown-project"))
                .body("detail", containsString("p-does-not-exist"));
        as(sign(Jwt.issuer(issuer()).subject("frank").audience(OidcIssuer.AUDIENCE).claim("tuneforge_role", "member")))
                .when().get("/api/v1/datasets").then().statusCode(403).body("type", is(PROBLEM + "unknown-project"));
    }

    @Test
    void aTokenThatDoesNotVerifyIs401() {
        String p = Gateway.newProject();
        // Signed by another key under the issuer's key id.
        String forged = claims("mallory", p, "admin").jws().keyId(OidcIssuer.KEY_ID)
                .sign(OidcIssuer.rsaKeyPair().getPrivate());
        assertInvalidToken(forged);
        // Another issuer.
        assertInvalidToken(sign(Jwt.issuer("http://127.0.0.1:1/realms/other").subject("mallory")
                .audience(OidcIssuer.AUDIENCE).claim("tuneforge_project", p).claim("tuneforge_role", "member")));
        // Another audience.
        assertInvalidToken(sign(Jwt.issuer(issuer()).subject("mallory").audience("another-service")
                .claim("tuneforge_project", p).claim("tuneforge_role", "member")));
        // Expired.
        Instant past = Instant.now().minus(Duration.ofHours(1));
        assertInvalidToken(sign(claims("mallory", p, "member").issuedAt(past).expiresAt(past.plusSeconds(60))));
        // Not a JWT at all, and an empty one.
        assertInvalidToken("not-a-token");
        RestAssured.given().header("Authorization", "Bearer ").when().get("/api/v1/me").then().statusCode(401);
        // The same claims, correctly signed: accepted.
        as(sign(claims("mallory", p, "member"))).when().get("/api/v1/me").then().statusCode(200);
    }

    @Test
    void anEventStreamOpenedWithATokenEndsWhenTheTokenExpires() throws Exception {
        String p = Gateway.newProject();
        Instant expiry = Instant.now().plusSeconds(5).truncatedTo(java.time.temporal.ChronoUnit.SECONDS); // as exp holds it
        String token = sign(claims("erin", p, "member").issuedAt(Instant.now()).expiresAt(expiry));
        try (SseClient stream = SseClient.open(URI.create(base + "api/v1/events"), token, null)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> stream.status() != 0);
            assertEquals(200, stream.status(), "the token is valid when the stream opens");
            await().atMost(Duration.ofSeconds(30)).until(stream::ended);
            assertFalse(Instant.now().isBefore(expiry), "ended by the expiry, not before it");
        }
        as(token).when().get("/api/v1/me").then().statusCode(401).body("type", is(PROBLEM + "invalid-token"));
    }

    @Test
    void apiKeysWorkAsBeforeBesideTokens() {
        as(ADMIN).when().get("/api/v1/me").then().statusCode(200).body("platform_admin", is(true));
        String p = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(p, "member");
        as(member.secret()).when().get("/api/v1/me").then().statusCode(200).body("key_id", is(member.id()));
        as("tf_not-a-key").when().get("/api/v1/me").then().statusCode(401)
                .body("type", is(PROBLEM + "invalid-api-key"));
        RestAssured.when().get("/api/v1/me").then().statusCode(401).body("type", is(PROBLEM + "unauthenticated"));
        RestAssured.when().get("/q/health/ready").then().statusCode(200);
    }

    private static void assertInvalidToken(String token) {
        as(token).when().get("/api/v1/me").then().statusCode(401)
                .contentType("application/problem+json").header("WWW-Authenticate", startsWith("Bearer"))
                .body("type", is(PROBLEM + "invalid-token"));
    }

    private static String upload(String bearer, String name) {
        return as(bearer).contentType("application/jsonl").body(JSONL.getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/datasets?name=" + name).then().statusCode(202).extract().path("id");
    }

    private static JwtClaimsBuilder claims(String subject, String project, String role) {
        return Jwt.issuer(issuer()).subject(subject).audience(OidcIssuer.AUDIENCE)
                .claim("tuneforge_project", project).claim("tuneforge_role", role);
    }

    private static String sign(JwtClaimsBuilder claims) {
        return claims.jws().keyId(OidcIssuer.KEY_ID).sign(signingKey());
    }

    private static String issuer() {
        return ConfigProvider.getConfig().getValue(OidcIssuer.ISSUER, String.class);
    }

    private static PrivateKey signingKey() {
        try {
            byte[] pkcs8 = Base64.getDecoder().decode(ConfigProvider.getConfig().getValue(OidcIssuer.SIGNING_KEY, String.class));
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
