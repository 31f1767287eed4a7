package dev.tuneforge.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** The gateway's public API as a test calls it: one API key, JSON answers, the expected status asserted. */
final class Api {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final String url;
    private final String key;

    Api(String url, String key) {
        this.url = url;
        this.key = key;
    }

    JsonNode get(String path) throws Exception {
        return send("GET", path, null, null, 200);
    }

    /** A JSON body ({@code body} is serialised with Jackson). */
    JsonNode post(String path, Object body, int expected) throws Exception {
        return send("POST", path, "application/json", JSON.writeValueAsString(body), expected);
    }

    JsonNode send(String method, String path, String contentType, String body, int expected) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + key);
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> response = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expected, response.statusCode(), method + " " + path + ": " + response.body());
        return JSON.readTree(response.body());
    }
}
