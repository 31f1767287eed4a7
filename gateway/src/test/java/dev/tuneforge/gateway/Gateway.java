package dev.tuneforge.gateway;

import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;

import java.util.Map;
import java.util.UUID;

/** Test helpers: requests with a key, projects and keys made through the API itself. */
final class Gateway {

    /** The platform admin key: %test.tuneforge.admin-key. */
    static final String ADMIN = "tf_test-admin-key-0123456789abcdefghijklmnopqrstuv";

    /** A key as the API returned it at creation. */
    record Key(String id, String project, String role, String secret) {
    }

    private Gateway() {
    }

    static RequestSpecification as(String secret) {
        return RestAssured.given().header("Authorization", "Bearer " + secret);
    }

    static String newProject() {
        return newProject(ADMIN);
    }

    /** A new project, made with the platform admin key {@code admin}. */
    static String newProject(String admin) {
        String id = "p-" + UUID.randomUUID().toString().substring(0, 8);
        as(admin).contentType("application/json").body(Map.of("id", id))
                .when().post("/api/v1/projects").then().statusCode(201);
        return id;
    }

    static Key newKey(String project, String role) {
        return newKey(ADMIN, project, role);
    }

    /** A new key of {@code project}, made with the platform admin key {@code admin}. */
    static Key newKey(String admin, String project, String role) {
        var body = as(admin).contentType("application/json")
                .body(Map.of("project_id", project, "role", role, "name", role + " test key"))
                .when().post("/api/v1/keys").then().statusCode(201).extract().jsonPath();
        return new Key(body.getString("id"), body.getString("project_id"), body.getString("role"),
                body.getString("secret"));
    }
}
