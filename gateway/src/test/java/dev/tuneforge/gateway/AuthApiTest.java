package dev.tuneforge.gateway;

import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.tuneforge.gateway.Gateway.ADMIN;
import static dev.tuneforge.gateway.Gateway.as;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

/** API keys and roles: who may do what, and how the gateway says no. */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class AuthApiTest {

    private static final String PROBLEM = "https://tuneforge.dev/problems/";

    @Test
    void aRequestWithoutAKeyOrWithAnUnknownOneIs401() {
        RestAssured.when().get("/api/v1/datasets").then().statusCode(401)
                .contentType("application/problem+json").header("WWW-Authenticate", startsWith("Bearer"))
                .body("type", is(PROBLEM + "unauthenticated"));
        as("tf_not-a-key").when().get("/api/v1/datasets").then().statusCode(401)
                .body("type", is(PROBLEM + "invalid-api-key"));
        RestAssured.given().header("Authorization", "Basic abc").when().get("/api/v1/me").then().statusCode(401);
    }

    @Test
    void healthMetricsAndTheOpenApiDocumentNeedNoKey() {
        RestAssured.when().get("/q/health/ready").then().statusCode(200);
        RestAssured.when().get("/q/metrics").then().statusCode(200);
        RestAssured.when().get("/q/openapi?format=json").then().statusCode(200)
                .body("paths.'/api/v1/keys'", notNullValue())
                .body("components.securitySchemes.apiKey.scheme", is("bearer"));
    }

    @Test
    void theDashboardIsServedAtTheRootWithoutAKeyAndLoadsNothingFromAnotherOrigin() {
        String page = RestAssured.when().get("/").then().statusCode(200).contentType(containsString("text/html"))
                .extract().asString();
        Matcher script = Pattern.compile("src=\"(/assets/[^\"]+\\.js)\"").matcher(page);
        assertTrue(script.find(), page);
        assertFalse(page.contains("http://") || page.contains("https://"), page);
        RestAssured.when().get(script.group(1)).then().statusCode(200)
                .contentType(containsString("javascript")).body(containsString("/api/v1/me"));
    }

    @Test
    void theOpenApiDocumentNamesASchemaForTheAnswersOfCommandsCardsAndModelLists() {
        Map<String, String> schemas = Map.of(
                "paths.'/api/v1/jobs'.post", "JobCreated",
                "paths.'/api/v1/jobs/{id}/cancel'.post", "CommandSent",
                "paths.'/api/v1/datasets'.post", "UploadAccepted",
                "paths.'/api/v1/pipelines'.post", "PipelineConfig",
                "paths.'/api/v1/models/{name}/promote'.post", "PromotionSent",
                "paths.'/api/v1/models/{name}/versions/{version}'.get", "ModelCard",
                "paths.'/api/v1/models/{name}/versions/{version}/lineage'.get", "ModelLineage",
                "paths.'/api/v1/models/{name}/versions/{version}/artifact'.get", "PresignedArtifact",
                "paths.'/v1/models'.get", "ModelList");
        var document = RestAssured.when().get("/q/openapi?format=json").then().statusCode(200);
        schemas.forEach((operation, schema) -> document.body(
                operation + ".responses.'200'.content.'application/json'.schema.'$ref'",
                is("#/components/schemas/" + schema)));
        // Properties as the JSON names them (snake_case), the job's fields unwrapped into the card.
        document.body("components.schemas.ModelCard.properties.keySet()", hasItem("base_model"));
    }

    @Test
    void thePlatformAdminCreatesAProjectAndItsKeys() {
        String project = Gateway.newProject();
        as(ADMIN).when().get("/api/v1/projects?limit=200").then().statusCode(200)
                .body("data.id", hasItem(project));
        as(ADMIN).contentType("application/json").body(Map.of("id", project))
                .when().post("/api/v1/projects").then().statusCode(409).body("type", is(PROBLEM + "conflict"));
        as(ADMIN).contentType("application/json").body(Map.of("id", "Not A Slug"))
                .when().post("/api/v1/projects").then().statusCode(400).body("type", is(PROBLEM + "invalid-parameter"));

        Gateway.Key admin = Gateway.newKey(project, "admin");
        as(admin.secret()).when().get("/api/v1/me").then().statusCode(200)
                .body("project_id", is(project)).body("role", is("admin")).body("platform_admin", is(false));
        // A project admin sees its own project only and cannot create projects.
        as(admin.secret()).when().get("/api/v1/projects").then().statusCode(200)
                .body("data.size()", is(1)).body("data[0].id", is(project));
        as(admin.secret()).contentType("application/json").body(Map.of("id", "p-other"))
                .when().post("/api/v1/projects").then().statusCode(403).body("type", is(PROBLEM + "forbidden"));
        // It manages its project's keys; the list never shows secrets.
        String member = as(admin.secret()).contentType("application/json").body(Map.of("role", "member"))
                .when().post("/api/v1/keys").then().statusCode(201).body("project_id", is(project))
                .body("secret", startsWith("tf_")).extract().path("id");
        as(admin.secret()).when().get("/api/v1/keys").then().statusCode(200)
                .body("data.id", hasItem(member)).body("data.secret", not(hasItem(notNullValue())));
    }

    @Test
    void rolesLimitWhatAKeyMayDo() {
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        Gateway.Key reader = Gateway.newKey(project, "read-only");

        as(reader.secret()).when().get("/api/v1/datasets").then().statusCode(200);
        as(reader.secret()).contentType("application/jsonl").body("{}\n".getBytes())
                .when().post("/api/v1/datasets?name=x").then().statusCode(403).body("type", is(PROBLEM + "forbidden"));
        as(member.secret()).contentType("application/jsonl").body("{}\n".getBytes())
                .when().post("/api/v1/datasets?name=x").then().statusCode(202);
        as(member.secret()).when().get("/api/v1/keys").then().statusCode(403);
        as(member.secret()).contentType("application/json").body(Map.of("role", "admin"))
                .when().post("/api/v1/keys").then().statusCode(403);
        as(member.secret()).when().post("/api/v1/admin/read-model/rebuild").then().statusCode(403);
    }

    @Test
    void aRotatedKeysOldSecretAndARevokedKeyAre401() {
        String project = Gateway.newProject();
        Gateway.Key key = Gateway.newKey(project, "member");
        as(key.secret()).when().get("/api/v1/me").then().statusCode(200);

        String rotated = as(ADMIN).when().post("/api/v1/keys/" + key.id() + "/rotate").then().statusCode(200)
                .body("id", is(key.id())).body("rotated_at", notNullValue()).extract().path("secret");
        as(key.secret()).when().get("/api/v1/me").then().statusCode(401);
        as(rotated).when().get("/api/v1/me").then().statusCode(200).body("key_id", is(key.id()));

        as(ADMIN).when().post("/api/v1/keys/" + key.id() + "/revoke").then().statusCode(200)
                .body("revoked_at", notNullValue());
        as(rotated).when().get("/api/v1/me").then().statusCode(401).body("type", is(PROBLEM + "invalid-api-key"));
        as(ADMIN).when().post("/api/v1/keys/" + key.id() + "/rotate").then().statusCode(409);
        as(ADMIN).when().get("/api/v1/keys/" + key.id()).then().statusCode(200).body("secret", nullValue());
    }

    @Test
    void everyErrorIsAProblemWithAStableType() {
        as(ADMIN).when().get("/api/v1/nothing-here").then().statusCode(404)
                .contentType("application/problem+json").body("type", is(PROBLEM + "not-found"));
        as(ADMIN).when().delete("/api/v1/projects").then().statusCode(405)
                .contentType("application/problem+json").body("type", is(PROBLEM + "method-not-allowed"));
        as(ADMIN).contentType("text/csv").body("a,b").when().post("/api/v1/projects").then().statusCode(415)
                .contentType("application/problem+json").body("type", is(PROBLEM + "unsupported-media-type"));
        as(ADMIN).contentType("application/json").body("{not json").when().post("/api/v1/projects")
                .then().statusCode(400).contentType("application/problem+json").body("type", is(PROBLEM + "invalid-body"));
        as(ADMIN).contentType("application/json").body("{\"id\":\"" + "x".repeat(70_000) + "\"}")
                .when().post("/api/v1/projects").then().statusCode(413)
                .contentType("application/problem+json").body("type", is(PROBLEM + "payload-too-large"));
        as(ADMIN).when().get("/api/v1/datasets?limit=0").then().statusCode(400)
                .body("type", is(PROBLEM + "invalid-parameter"));
    }
}
