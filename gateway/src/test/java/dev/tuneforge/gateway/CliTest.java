package dev.tuneforge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.cli.CliEnv;
import dev.tuneforge.cli.ExitCodes;
import dev.tuneforge.cli.TuneforgeCli;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetReport;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The `tuneforge` CLI, run in-process against this gateway: what it prints and the exit codes it returns. */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class CliTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one CLI run printed and returned. */
    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    @TestHTTPResource("/")
    URL gateway;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @TempDir
    Path home;

    private Path config;

    @BeforeEach
    void configFile() {
        config = home.resolve("tuneforge/config.json");
    }

    private Run cliWithStdin(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliEnv env = new CliEnv(Map.of("TUNEFORGE_CONFIG", config.toString(), "HOME", home.toString()),
                new PrintWriter(out), new PrintWriter(err), new BufferedReader(new StringReader(stdin)));
        int code = TuneforgeCli.run(args, env);
        return new Run(code, out.toString(), err.toString());
    }

    private Run cli(String... args) {
        return cliWithStdin("", args);
    }

    @Test
    void loginStoresTheUrlAndKeyOnlyForTheUser() throws Exception {
        Run login = cliWithStdin(Gateway.ADMIN + "\n", "login", "--url", gateway.toString());
        assertEquals(0, login.code(), login.err());
        assertTrue(login.out().contains("project default, role admin, platform admin"), login.out());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));
        assertTrue(Files.readString(config).contains(Gateway.ADMIN));

        Run me = cli("login", "--url", gateway.toString(), "--key", "tf_wrong", "--json");
        assertEquals(ExitCodes.AUTH, me.code());
        assertTrue(me.err().contains("Invalid API key (401)"), me.err());
    }

    @Test
    void projectsAndKeysAreManagedFromTheCommandLine() throws Exception {
        assertEquals(ExitCodes.AUTH, cli("projects", "list").code(), "not logged in yet");
        assertEquals(0, cli("login", "--url", gateway.toString(), "--key", Gateway.ADMIN).code());

        String project = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        Run created = cli("projects", "create", project);
        assertEquals(0, created.code(), created.err());
        assertEquals("Created project " + project + ".\n", created.out());
        assertEquals(ExitCodes.CONFLICT, cli("projects", "create", project).code());
        assertEquals(ExitCodes.USAGE, cli("projects", "create", "Bad Id").code());

        Run list = cli("projects", "list", "--json", "--limit", "200");
        assertEquals(0, list.code());
        assertTrue(list.json().path("data").toString().contains("\"" + project + "\""));
        assertTrue(cli("projects", "list", "--limit", "200").out().startsWith("ID"), "a table for people");

        Run key = cli("keys", "create", "--project", project, "--role", "read-only", "--name", "ci", "--json");
        assertEquals(0, key.code(), key.err());
        String keyId = key.json().path("id").asText();
        String secret = key.json().path("secret").asText();
        assertTrue(secret.startsWith("tf_"));

        Run keys = cli("keys", "list", "--project", project);
        assertEquals(0, keys.code());
        assertTrue(keys.out().contains(keyId) && keys.out().contains("read-only") && !keys.out().contains(secret));

        Run rotated = cli("keys", "rotate", keyId);
        assertEquals(0, rotated.code(), rotated.err());
        assertTrue(rotated.out().contains("Secret, shown only now: tf_"));
        assertEquals(ExitCodes.AUTH, cli("events", "--key", secret).code(), "the old secret is dead");

        assertEquals(0, cli("keys", "revoke", keyId).code());
        assertEquals(ExitCodes.NOT_FOUND, cli("keys", "rotate", "key_nope").code());
        assertEquals(ExitCodes.USAGE, cli("keys", "create", "--role").code(), "missing option value");
        assertEquals(ExitCodes.USAGE, cli("keys").code(), "a group without a subcommand");
    }

    @Test
    void anUploadWaitsForValidationAndPrintsTheReport() throws Exception {
        String project = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        assertEquals(0, cli("projects", "create", project, "--url", gateway.toString(), "--key", Gateway.ADMIN).code());
        Run key = cli("keys", "create", "--project", project, "--role", "member", "--json",
                "--url", gateway.toString(), "--key", Gateway.ADMIN);
        assertEquals(0, cli("login", "--url", gateway.toString(), "--key", key.json().path("secret").asText()).code());
        Path file = home.resolve("broken.jsonl");
        Files.writeString(file, "{\"prompt\":\"a\",\"completion\":\"b\"}\nnot json\n");

        // The CLI waits for the verdict; the test answers as dataset-service would.
        CompletableFuture<Run> upload = CompletableFuture.supplyAsync(() -> cli("datasets", "upload", file.toString()));
        TopicClient topics = new TopicClient(bootstrap);
        await().atMost(Duration.ofSeconds(30)).until(() -> topics.events(DatasetUploaded.class, null).stream()
                .anyMatch(u -> u.projectId().equals(project)));
        DatasetUploaded uploaded = topics.events(DatasetUploaded.class, null).stream()
                .filter(u -> u.projectId().equals(project)).findFirst().orElseThrow();
        assertEquals("broken", uploaded.name(), "named after the file");
        DatasetReport report = new DatasetReport("completion", 2, 1, List.of(new DatasetReport.Finding("invalid_json",
                "line is not valid JSON", 1, List.of(2L))), List.of(), null, 0, null);
        topics.publish(new DatasetRejected(project, uploaded.datasetId(), "invalid_json: 1 (first lines [2])", 1, null,
                report), "dataset-service");

        Run rejected = upload.get(60, TimeUnit.SECONDS);
        assertEquals(ExitCodes.REJECTED, rejected.code(), rejected.err());
        assertTrue(rejected.out().contains("rejected"), rejected.out());
        assertTrue(rejected.out().matches("(?s).*invalid_json\\s+1\\s+2\\s+line is not valid JSON.*"), rejected.out());
        Run show = cli("datasets", "show", uploaded.datasetId(), "--json");
        assertEquals(0, show.code());
        assertEquals("invalid_json", show.json().path("report").path("errors").get(0).path("code").asText());
        assertTrue(cli("datasets", "list").out().contains(uploaded.datasetId()));
        assertEquals(0, cli("datasets", "versions", uploaded.datasetId()).code());
        assertEquals(ExitCodes.NOT_FOUND, cli("datasets", "show", "ds_nope").code());
        assertEquals(ExitCodes.USAGE, cli("datasets", "upload", home.resolve("missing.jsonl").toString()).code());
    }

    @Test
    void eventsAreListedAndFollowed() throws Exception {
        String project = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        assertEquals(0, cli("projects", "create", project, "--url", gateway.toString(), "--key", Gateway.ADMIN).code());
        Run key = cli("keys", "create", "--project", project, "--role", "read-only", "--json",
                "--url", gateway.toString(), "--key", Gateway.ADMIN);
        String secret = key.json().path("secret").asText();
        assertEquals(0, cli("login", "--url", gateway.toString(), "--key", secret).code());

        TopicClient topics = new TopicClient(bootstrap);
        for (int i = 1; i <= 3; i++) {
            topics.publish(new TrainingStarted(project, "cli-job-" + i, 1, "djl", "cpu-0", null), "trainer-service");
        }
        Run follow = cli("events", "--follow", "--after", "0", "--count", "3", "--json");
        assertEquals(0, follow.code(), follow.err());
        String[] lines = follow.out().strip().split("\n");
        assertEquals(3, lines.length, follow.out());
        for (int i = 0; i < 3; i++) {
            assertEquals("cli-job-" + (i + 1), JSON.readTree(lines[i]).path("subject").asText());
        }
        Run list = cli("events");
        assertEquals(0, list.code());
        assertTrue(list.out().contains("dev.tuneforge.training.started.v1") && list.out().contains("cli-job-3"), list.out());
    }

    @Test
    void theAdminRebuildsTheReadModel() {
        Run rebuilt = cli("admin", "rebuild-read-model", "--url", gateway.toString(), "--key", Gateway.ADMIN);
        assertEquals(0, rebuilt.code(), rebuilt.err());
        assertTrue(rebuilt.out().startsWith("Rebuilt the read model from "), rebuilt.out());
    }
}
