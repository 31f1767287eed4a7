package dev.tuneforge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.tuneforge.gateway.Gateway.ADMIN;
import static dev.tuneforge.gateway.Gateway.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The base-model catalogue: what an admin uploads lands complete in S3, with a manifest written last. */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class BaseModelsApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ObjectStore objects;

    private static String name() {
        return "tiny-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void aTarGzOfATinyLlamaIsRegisteredWithItsManifestWrittenLast() throws Exception {
        Path dir = BaseModels.write(TinyLlamaWriter.Spec.small());
        String name = name();
        JsonNode manifest = JSON.readTree(as(ADMIN).contentType("application/gzip").body(BaseModels.tarGz(dir, "model/"))
                .when().post("/api/v1/base-models?name=" + name).then().statusCode(201)
                .header("Location", containsString("/api/v1/base-models/" + name)).extract().asString());

        Map<String, Path> files = BaseModels.files(dir);
        assertEquals(name, manifest.path("name").asText());
        assertEquals(files.keySet().stream().toList(), manifest.path("files").findValuesAsText("path"),
                "every file, sorted by path, the archive's top directory stripped");
        StringBuilder lines = new StringBuilder();
        for (Map.Entry<String, Path> file : files.entrySet()) {
            String sha = sha256(Files.readAllBytes(file.getValue()));
            lines.append(file.getKey()).append(' ').append(sha).append('\n');
            try (InputStream stored = objects.get("base-models/" + name + "/" + file.getKey())) {
                assertEquals(sha, sha256(stored.readAllBytes()), file.getKey() + " stored as uploaded");
            }
        }
        assertEquals(sha256(lines.toString().getBytes(StandardCharsets.UTF_8)), manifest.path("sha256").asText());
        JsonNode config = manifest.path("config");
        assertEquals("llama", config.path("model_type").asText());
        assertEquals(32, config.path("hidden_size").asInt());
        assertEquals(2, config.path("num_hidden_layers").asInt());
        assertEquals(128, config.path("max_position_embeddings").asInt());
        assertEquals(TinyLlamaWriter.Spec.small().vocabSize(), config.path("vocab_size").asInt());
        assertTrue(manifest.hasNonNull("registered_at"));
        try (InputStream stored = objects.get("base-models/" + name + "/manifest.json")) {
            assertEquals(manifest, JSON.readTree(stored));
        }

        // Anyone authenticated reads the catalogue.
        Gateway.Key reader = Gateway.newKey(Gateway.newProject(), "read-only");
        as(reader.secret()).when().get("/api/v1/base-models").then().statusCode(200)
                .body("data.name", hasItem(name));
        as(reader.secret()).when().get("/api/v1/base-models/" + name).then().statusCode(200)
                .body("sha256", is(manifest.path("sha256").asText()));
        as(reader.secret()).when().get("/api/v1/base-models/nope").then().statusCode(404);

        // The same files again change nothing; other files under the name are refused.
        as(ADMIN).contentType("application/gzip").body(BaseModels.tarGz(dir, ""))
                .when().post("/api/v1/base-models?name=" + name).then().statusCode(200)
                .body("registered_at", is(manifest.path("registered_at").asText()));
        Path other = BaseModels.write(TinyLlamaWriter.Spec.small().withTieEmbeddings(false));
        as(ADMIN).contentType("application/gzip").body(BaseModels.tarGz(other, ""))
                .when().post("/api/v1/base-models?name=" + name).then().statusCode(409)
                .body("detail", containsString("registered already with other files"));
    }

    @Test
    void aShardedModelNeedsEveryShardOfItsIndex() {
        Path dir = BaseModels.write(TinyLlamaWriter.Spec.small().withShards(2));
        Map<String, byte[]> entries = BaseModels.contents(dir, List.of());
        String shard = entries.keySet().stream().filter(p -> p.matches("model-0000\\d-of-00002\\.safetensors"))
                .findFirst().orElseThrow();
        entries.remove(shard);
        String name = name();
        as(ADMIN).contentType("application/gzip").body(BaseModels.tarGz(entries))
                .when().post("/api/v1/base-models?name=" + name).then().statusCode(422)
                .body("errors", hasItem(containsString(shard + ": missing (a shard listed in model.safetensors.index.json)")));
        as(ADMIN).contentType("application/gzip").body(BaseModels.tarGz(dir, ""))
                .when().post("/api/v1/base-models?name=" + name).then().statusCode(201);
    }

    @Test
    void anIncompleteModelIsRefusedNamingWhatIsMissingAndNothingIsStored() {
        Path dir = BaseModels.write(TinyLlamaWriter.Spec.small());
        String name = name();
        as(ADMIN).contentType("application/gzip")
                .body(BaseModels.tarGz(BaseModels.contents(dir, List.of("tokenizer.json"))))
                .when().post("/api/v1/base-models?name=" + name).then().statusCode(422)
                .contentType("application/problem+json")
                .body("type", is("https://tuneforge.dev/problems/invalid-base-model"))
                .body("errors", hasSize(1))
                .body("detail", containsString("tokenizer.json: missing"));
        assertEquals(List.of(), objects.list("base-models/" + name + "/"));

        Map<String, byte[]> entries = BaseModels.contents(dir, List.of("model.safetensors"));
        entries.put("config.json", "{\"model_type\":\"gpt2\",\"hidden_size\":32}".getBytes(StandardCharsets.UTF_8));
        as(ADMIN).contentType("application/gzip").body(BaseModels.tarGz(entries))
                .when().post("/api/v1/base-models?name=" + name).then().statusCode(422)
                .body("errors", hasItem(containsString("model_type 'gpt2' is not supported")))
                .body("errors", hasItem(containsString("num_hidden_layers must be a positive integer, is missing")))
                .body("errors", hasItem(containsString("model.safetensors: missing")));
    }

    @Test
    void unsafeArchivesAndBadNamesAreRefused() {
        Path dir = BaseModels.write(TinyLlamaWriter.Spec.small());
        Map<String, byte[]> entries = BaseModels.contents(dir, List.of());
        entries.put("../escape.txt", new byte[] {1});
        as(ADMIN).contentType("application/gzip").body(BaseModels.tarGz(entries))
                .when().post("/api/v1/base-models?name=" + name()).then().statusCode(400)
                .body("detail", containsString("unsafe path '../escape.txt'"));
        Map<String, byte[]> absolute = BaseModels.contents(dir, List.of());
        absolute.put("/etc/passwd", new byte[] {1});
        as(ADMIN).contentType("application/gzip").body(BaseModels.tarGz(absolute))
                .when().post("/api/v1/base-models?name=" + name()).then().statusCode(400)
                .body("detail", containsString("absolute paths are refused"));
        Map<String, byte[]> clash = BaseModels.contents(dir, List.of());
        clash.put("config.json/x", new byte[] {1}); // found by BaseModelArchiveFuzzTest: answered with a temp path
        as(ADMIN).contentType("application/gzip").body(BaseModels.tarGz(clash))
                .when().post("/api/v1/base-models?name=" + name()).then().statusCode(400)
                .body("detail", is("'config.json' is both a file and a directory"));
        as(ADMIN).contentType("application/gzip").body(BaseModels.tarGz(dir, ""))
                .when().post("/api/v1/base-models?name=Bad/Name").then().statusCode(422)
                .body("type", is("https://tuneforge.dev/problems/invalid-base-model"))
                .body("errors", contains(startsWith("name: must be 1-64 characters")));
        as(ADMIN).contentType("application/gzip").body("not an archive".getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/base-models?name=" + name()).then().statusCode(400);
        byte[] tooBig = new byte[5 * 1024 * 1024]; // the test profile allows 4 MB
        as(ADMIN).contentType("application/gzip").body(tooBig)
                .when().post("/api/v1/base-models?name=" + name()).then().statusCode(413);
    }

    @Test
    void multipartFilesRegisterToo() throws Exception {
        Path dir = BaseModels.write(TinyLlamaWriter.Spec.small());
        var request = as(ADMIN);
        for (Map.Entry<String, Path> file : BaseModels.files(dir).entrySet()) {
            request = request.multiPart("file", file.getKey(), Files.readAllBytes(file.getValue()),
                    "application/octet-stream");
        }
        String name = name();
        request.when().post("/api/v1/base-models?name=" + name).then().statusCode(201)
                .body("files", hasSize(BaseModels.files(dir).size()));
    }

    @Test
    void onlyThePlatformAdminRegisters() {
        Path dir = BaseModels.write(TinyLlamaWriter.Spec.small());
        String name = name();
        Gateway.Key projectAdmin = Gateway.newKey(Gateway.newProject(), "admin");
        as(projectAdmin.secret()).contentType("application/gzip").body(BaseModels.tarGz(dir, ""))
                .when().post("/api/v1/base-models?name=" + name).then().statusCode(403)
                .body("detail", containsString("platform admin"));
        Gateway.Key member = Gateway.newKey("default", "member");
        as(member.secret()).contentType("application/gzip").body(BaseModels.tarGz(dir, ""))
                .when().post("/api/v1/base-models?name=" + name).then().statusCode(403);
        assertFalse(objects.exists("base-models/" + name + "/manifest.json"));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
