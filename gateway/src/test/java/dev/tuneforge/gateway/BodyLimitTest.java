package dev.tuneforge.gateway;

import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import static dev.tuneforge.gateway.Gateway.ADMIN;
import static dev.tuneforge.gateway.Gateway.as;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Body limits count the bytes actually read, whatever the headers say: a chunked body (no length) or one whose
 * Content-Length lies is cut off at the endpoint's limit with 413, on every endpoint, {@code /v1} included, and
 * nothing of it is kept. The test profile's limits: JSON 64K, dataset uploads 2M, base models 4M.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class BodyLimitTest {

    private static final String TOO_LARGE = "https://tuneforge.dev/problems/payload-too-large";
    private static final long MB = 1024 * 1024;

    @TestHTTPResource("/")
    URL base;

    private RawHttp.Answer post(String path, String key, String type, Map<String, String> more, String head, long total)
            throws Exception {
        return post(path, key, type, more, head.getBytes(StandardCharsets.UTF_8), total);
    }

    private RawHttp.Answer post(String path, String key, String type, Map<String, String> more, byte[] head, long total)
            throws Exception {
        Map<String, String> headers = new LinkedHashMap<>(Map.of("Authorization", "Bearer " + key,
                "Content-Type", type, "Accept", "application/json"));
        headers.putAll(more);
        return new RawHttp(base).postChunked(path, headers, head, (byte) 'x', total);
    }

    private static void assertTooLarge(RawHttp.Answer answer) {
        assertEquals(413, answer.status(), answer.body());
        assertTrue(answer.headers().get("content-type").startsWith("application/problem+json")
                || answer.headers().get("content-type").startsWith("application/json")
                && answer.body().contains("\"error\""), answer.headers().toString()); // OpenAI's error under /v1
        assertTrue(answer.body().contains(TOO_LARGE) || answer.body().contains("\"payload_too_large\""), answer.body());
    }

    @Test
    void aChunkedJsonBodyIsReadUpToTheLimit() throws Exception {
        String id = "p-" + UUID.randomUUID().toString().substring(0, 8);
        String small = "{\"id\":\"" + id + "\"}";
        RawHttp.Answer created = post("/api/v1/projects", ADMIN, "application/json", Map.of(), small, small.length());
        assertEquals(201, created.status(), created.body());

        assertTooLarge(post("/api/v1/projects", ADMIN, "application/json", Map.of(), "{\"id\":\"", 128 * 1024));
        assertTooLarge(post("/v1/chat/completions", ADMIN, "application/json", Map.of(),
                "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"", 128 * 1024));
    }

    @Test
    void aChunkedUploadOverTheLimitIs413AndNothingIsStored() throws Exception {
        Gateway.Key member = Gateway.newKey(Gateway.newProject(), "member");
        assertTooLarge(post("/api/v1/datasets?name=chunked", member.secret(), "application/jsonl", Map.of(), "", 3 * MB));
        String boundary = "b-" + UUID.randomUUID();
        assertTooLarge(post("/api/v1/datasets", member.secret(), "multipart/form-data; boundary=" + boundary, Map.of(),
                "--" + boundary + "\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nmulti\r\n--" + boundary
                        + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jsonl\"\r\n"
                        + "Content-Type: application/jsonl\r\n\r\n", 3 * MB));
        as(member.secret()).when().get("/api/v1/datasets").then().statusCode(200).body("data.size()", is(0));
    }

    @Test
    void aContentLengthThatLiesDoesNotLiftTheLimit() throws Exception {
        Gateway.Key member = Gateway.newKey(Gateway.newProject(), "member");
        RawHttp.Answer answer = post("/api/v1/datasets?name=lying", member.secret(), "application/jsonl",
                Map.of("Content-Length", "10"), "", 3 * MB);
        assertTrue(answer.status() == 413 || answer.status() == 400, answer.status() + ": " + answer.body());
        as(member.secret()).when().get("/api/v1/datasets").then().statusCode(200).body("data.size()", is(0));
    }

    @Test
    void aChunkedBaseModelArchiveOverTheLimitIs413() throws Exception {
        // A well-formed start: the header of a 5 MB file, whose bytes then follow.
        TarArchiveEntry entry = new TarArchiveEntry("model.safetensors");
        entry.setSize(5 * MB);
        byte[] header = new byte[512];
        entry.writeEntryHeader(header);
        assertTooLarge(post("/api/v1/base-models?name=chunked-" + UUID.randomUUID().toString().substring(0, 8), ADMIN,
                "application/x-tar", Map.of(), header, 5 * MB + 512));
    }
}
