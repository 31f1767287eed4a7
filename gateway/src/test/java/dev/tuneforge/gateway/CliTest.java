package dev.tuneforge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.cli.CliEnv;
import dev.tuneforge.cli.ExitCodes;
import dev.tuneforge.cli.TuneforgeCli;
import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetReport;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.SweepRequested;
import dev.tuneforge.events.TrainingFailed;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    @Inject
    ObjectStore store;

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
    void anEmptyFileIsUploadedAndItsNoExamplesReportShown() throws Exception {
        String project = loggedInMember();
        Path empty = Files.createFile(home.resolve("empty.jsonl"));

        CompletableFuture<Run> upload = CompletableFuture.supplyAsync(() -> cli("datasets", "upload", empty.toString()));
        TopicClient topics = new TopicClient(bootstrap);
        await().atMost(Duration.ofSeconds(30)).until(() -> upload.isDone() || topics.events(DatasetUploaded.class, null)
                .stream().anyMatch(u -> u.projectId().equals(project)));
        assertFalse(upload.isDone(), () -> "the CLI did not wait for the verdict: " + upload.join());
        DatasetUploaded uploaded = topics.events(DatasetUploaded.class, null).stream()
                .filter(u -> u.projectId().equals(project)).findFirst().orElseThrow();
        assertEquals(0, uploaded.sizeBytes());
        // What dataset-service answers for a file without a line (Verdict: no errors, no examples).
        topics.publish(new DatasetRejected(project, uploaded.datasetId(), "the file has no examples", 0, null,
                new DatasetReport(null, 0, 0, List.of(), List.of(), null, 0, null)), "dataset-service");

        Run rejected = upload.get(60, TimeUnit.SECONDS);
        assertEquals(ExitCodes.REJECTED, rejected.code(), rejected.err());
        assertTrue(rejected.out().contains(uploaded.datasetId() + "  empty  rejected"), rejected.out());
        assertTrue(rejected.out().contains("0 lines, 0 examples kept"), rejected.out());
        assertTrue(rejected.err().contains("the file has no examples"), rejected.err());
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

    /** A project with a member key the CLI is logged in with; returns the project. */
    private String loggedInMember() throws Exception {
        String project = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        assertEquals(0, cli("projects", "create", project, "--url", gateway.toString(), "--key", Gateway.ADMIN).code());
        Run key = cli("keys", "create", "--project", project, "--role", "member", "--json",
                "--url", gateway.toString(), "--key", Gateway.ADMIN);
        memberSecret = key.json().path("secret").asText();
        assertEquals(0, cli("login", "--url", gateway.toString(), "--key", memberSecret).code());
        return project;
    }

    private String memberSecret;

    @Test
    void aSweepIsCreatedListedAndShownWithItsTrials() throws Exception {
        BaseModels.ensureTiny();
        String project = loggedInMember();
        TopicClient topics = new TopicClient(bootstrap);
        String dataset = Datasets.ready(topics, project, memberSecret, "cli-sweeps", 20, "chat");

        Run bad = cli("sweeps", "create", "--dataset", dataset, "--base-model", BaseModels.TINY, "--param",
                "lora_r=4,64");
        assertEquals(ExitCodes.USAGE, bad.code());
        assertTrue(bad.err().contains("search_space.lora_r[1]: must be <= the base model's hidden size 32"), bad.err());

        Run created = cli("sweeps", "create", "--dataset", dataset, "--base-model", BaseModels.TINY, "--set",
                "max_steps=10", "--param", "learning_rate=0.001,0.0001", "--param", "lora_r=4", "--min-trials", "1",
                "--json");
        assertEquals(0, created.code(), created.err());
        String id = created.json().path("id").asText();
        await().atMost(Duration.ofSeconds(30)).until(() -> topics.events(SweepRequested.class, id).size() == 1);
        SweepRequested requested = topics.events(SweepRequested.class, id).getFirst();
        assertEquals(Map.of("learning_rate", List.of(0.001, 0.0001), "lora_r", List.of(4)), requested.searchSpace());
        assertEquals(new SweepRequested.MedianStop(null, 1), requested.medianStop());

        await().atMost(Duration.ofSeconds(30)).until(() -> cli("sweeps", "show", id).code() == 0);
        String shown = cli("sweeps", "show", id).out();
        assertTrue(shown.startsWith(id + "  running\n"), shown);
        assertTrue(shown.contains("{\"learning_rate\":1.0E-4,\"lora_r\":4}"), shown);
        assertEquals(2, shown.split("pending", -1).length - 1, shown);
        assertTrue(cli("sweeps", "list").out().contains(id));
        assertEquals(ExitCodes.NOT_FOUND, cli("sweeps", "show", "swp_nope").code());
    }

    @Test
    void aJobIsCreatedAndFollowedToItsEnd() throws Exception {
        BaseModels.ensureTiny();
        String project = loggedInMember();
        TopicClient topics = new TopicClient(bootstrap);
        String dataset = Datasets.ready(topics, project, memberSecret, "cli-jobs", 20);

        Run bad = cli("jobs", "create", "--dataset", dataset, "--base-model", BaseModels.TINY, "--set", "lora_r=64",
                "--set", "bogus=1");
        assertEquals(ExitCodes.USAGE, bad.code());
        assertTrue(bad.err().contains("hyperparameters.lora_r") && bad.err().contains("hyperparameters.bogus"), bad.err());
        Run badRuntime = cli("jobs", "create", "--dataset", dataset, "--base-model", BaseModels.TINY, "--runtime", "tpu");
        assertEquals(ExitCodes.USAGE, badRuntime.code());
        assertTrue(badRuntime.err().contains("runtime: must be one of djl, torch, got 'tpu'"), badRuntime.err());

        Run created = cli("jobs", "create", "--dataset", dataset, "--base-model", BaseModels.TINY, "--set", "lora_r=4",
                "--set", "target_modules=q_proj,v_proj", "--set", "learning_rate=0.001", "--json");
        assertEquals(0, created.code(), created.err());
        String id = created.json().path("id").asText();
        await().atMost(Duration.ofSeconds(30)).until(() -> topics.events(TrainingRequested.class, id).size() == 1);
        TrainingRequested requested = topics.events(TrainingRequested.class, id).get(0);
        assertEquals(4, ((Number) requested.hyperparameters().get("lora_r")).intValue());
        assertEquals(List.of("q_proj", "v_proj"), requested.hyperparameters().get("target_modules"));
        assertEquals(0.001, ((Number) requested.hyperparameters().get("learning_rate")).doubleValue());

        // The CLI follows the job while the test answers as trainer-service would.
        CompletableFuture<Run> follow = CompletableFuture.supplyAsync(() -> cli("jobs", "follow", id));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> Gateway.as(memberSecret).when()
                .get("/api/v1/jobs/" + id).then().statusCode(200));
        topics.publish(new TrainingStarted(project, id, 1, "djl", "cpu-0", null), "trainer-service");
        topics.publish(new TrainingProgress(project, id, 2, 4, 0.5, 2.25, 1e-3, 1500, 75L, null, null, 1),
                "trainer-service");
        topics.publish(new CheckpointSaved(project, id, 2, "projects/" + project + "/jobs/" + id + "/checkpoints/step-2/",
                "c"), "trainer-service");
        topics.publish(new TrainingProgress(project, id, 4, 4, 1.0, 1.5, 0, 1600, 0L, 1.75, 0.5, 1), "trainer-service");
        topics.publish(new TrainingFinished(project, id, "cli-jobs", BaseModels.TINY, dataset, 1, "lora",
                "projects/" + project + "/models/cli-jobs/v1/adapter/", "d", 4, Map.of(), null), "trainer-service");
        Run followed = follow.get(60, TimeUnit.SECONDS);
        assertEquals(0, followed.code(), followed.err() + followed.out());
        String out = followed.out();
        assertTrue(out.contains("queued: lora of " + BaseModels.TINY + " on " + dataset + " v1"), out);
        assertTrue(out.contains("running: attempt 1 on cpu-0 (djl)\n"), out);
        assertTrue(out.contains("\r[############............]  50.0% step 2/4  loss 2.2500  1500 tok/s  ETA 1:15"), out);
        assertTrue(out.contains("\ncheckpoint: step 2\n"), out);
        assertTrue(out.contains("100.0% step 4/4  loss 1.5000  valid 1.7500  1600 tok/s  ETA 0:00"), out);
        assertTrue(out.endsWith("succeeded: model cli-jobs at projects/" + project + "/models/cli-jobs/v1/adapter/"
                + " (best step 4)\n"), out);

        assertTrue(cli("jobs", "list").out().contains(id));
        assertTrue(cli("jobs", "show", id).out().contains("succeeded"));
        assertEquals(ExitCodes.CONFLICT, cli("jobs", "cancel", id).code(), "it is over");
        assertEquals(ExitCodes.NOT_FOUND, cli("jobs", "show", "job_nope").code());

        Run second = cli("jobs", "create", "--dataset", dataset, "--base-model", BaseModels.TINY, "--runtime", "torch",
                "--json");
        String failing = second.json().path("id").asText();
        assertEquals("torch", second.json().path("runtime").asText(), second.out());
        await().atMost(Duration.ofSeconds(30)).until(() -> cli("jobs", "show", failing).code() == 0);
        assertTrue(cli("jobs", "show", failing).out().contains("\nruntime torch\n"), "the queued job shows its runtime");
        assertEquals("torch", topics.events(TrainingRequested.class, failing).getFirst().runtime());
        assertEquals(0, cli("jobs", "pause", failing).code(), "queued jobs may be paused");
        // The pause request (commands topic) and the failure (training topic) are projected independently.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> Gateway.as(memberSecret).when()
                .get("/api/v1/jobs/" + failing + "/events").then().statusCode(200)
                .body("data.type", org.hamcrest.Matchers.hasItem(org.hamcrest.Matchers.containsString("pause-requested"))));
        topics.publish(new TrainingFailed(project, failing, "bad_spec", "the spec is wrong", 1), "trainer-service");
        Run failed = cli("jobs", "follow", failing);
        assertEquals(ExitCodes.JOB_FAILED, failed.code(), failed.out());
        assertTrue(failed.out().contains("pause requested\n"), failed.out());
        assertTrue(failed.out().contains("failed: bad_spec: the spec is wrong (after 1 attempt)"), failed.out());
    }

    @Test
    void baseModelsAreUploadedFromADirectoryAndPipelinesConfigured() throws Exception {
        Path model = home.resolve("tiny");
        Run written = cli("base-models", "write-tiny", model.toString());
        assertEquals(0, written.code(), written.err());
        String name = "cli-tiny-" + UUID.randomUUID().toString().substring(0, 8);
        Run uploaded = cli("base-models", "upload", model.toString(), "--name", name, "--url", gateway.toString(),
                "--key", Gateway.ADMIN);
        assertEquals(0, uploaded.code(), uploaded.err());
        assertTrue(uploaded.out().startsWith("Registered base model " + name + ": llama"), uploaded.out());
        assertEquals(0, cli("base-models", "upload", model.toString(), "--name", name, "--url", gateway.toString(),
                "--key", Gateway.ADMIN).code(), "the same files again");

        String project = loggedInMember();
        assertEquals(ExitCodes.AUTH, cli("base-models", "upload", model.toString(), "--name", name + "-x").code(),
                "a member is not the platform admin");
        assertTrue(cli("base-models", "list").out().contains(name));
        assertTrue(cli("base-models", "show", name).out().contains("tokenizer.json"));

        String dataset = Datasets.ready(new TopicClient(bootstrap), project, memberSecret, "cli-pipe", 20);
        Run created = cli("pipelines", "create", "--dataset", dataset, "--base-model", name, "--set", "epochs=auto",
                "--gate", "min_improvement=0.01", "--min-new-examples", "50", "--cooldown", "600", "--runtime", "torch",
                "--on-drift", "prompt_length_psi,output_validity_rate", "--on-drift-action", "retrain,export_review",
                "--drift-cooldown", "0", "--drift-window", "200", "--drift-threshold", "psi=0.3", "--json");
        assertEquals(0, created.code(), created.err());
        String id = created.json().path("id").asText();
        assertEquals(50, created.json().path("triggers").path("min_new_examples").asInt());
        assertEquals("{\"metrics\":[\"prompt_length_psi\",\"output_validity_rate\"],\"actions\":[\"retrain\","
                + "\"export_review\"],\"cooldown_seconds\":0}",
                created.json().path("triggers").path("on_drift").toString());
        assertEquals(200, created.json().path("triggers").path("drift_window").path("observations").asInt());
        assertEquals(0.3, created.json().path("triggers").path("drift_thresholds").path("psi").asDouble());
        Run badDrift = cli("pipelines", "create", "--dataset", dataset, "--base-model", name, "--on-drift", "moon");
        assertEquals(ExitCodes.USAGE, badDrift.code(), badDrift.err());
        assertTrue(badDrift.err().contains("triggers.on_drift.metrics[0]: unknown 'moon'"), badDrift.err());
        assertEquals("torch", created.json().path("runtime").asText());
        await().atMost(Duration.ofSeconds(30)).until(() -> cli("pipelines", "show", id).code() == 0);
        assertTrue(cli("pipelines", "show", id).out().contains("\nruntime torch\n"));
        assertTrue(cli("pipelines", "list").out().contains(id));
        assertEquals("Pipeline " + id + " is paused.\n", cli("pipelines", "pause", id).out());
        assertEquals(0, cli("pipelines", "delete", id).code());
        assertEquals(ExitCodes.NOT_FOUND, cli("pipelines", "show", "pl_nope").code());
    }

    @Test
    void evaluationsAreListedAndShownSideBySideWithTheGate() throws Exception {
        String project = loggedInMember();
        TopicClient topics = new TopicClient(bootstrap);
        EvalsApiTest.publishPassed(store, topics, project, "job-e", "ev-cli", "cli-model");
        await().atMost(Duration.ofSeconds(30)).until(() -> cli("evals", "show", "ev-cli").code() == 0);

        Run list = cli("evals", "list", "--model", "cli-model");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().startsWith("ID"), list.out());
        assertTrue(list.out().contains("ev-cli") && list.out().contains("passed") && list.out().contains("0.5000"),
                list.out());

        Run show = cli("evals", "show", "ev-cli");
        assertEquals(0, show.code(), show.err());
        List<String> lines = show.out().lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.matches("METRIC\\s+CANDIDATE\\s+BASE\\s+CHAMPION v1\\s+FEW-SHOT k=3")),
                show.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches(
                "exact_match\\s+0\\.5000 \\[0\\.3000, 0\\.7000]\\s+0\\.1000 \\[0\\.0000, 0\\.2000]\\s+0\\.4000 \\[0\\.2000, 0\\.6000]"
                        + "\\s+0\\.3000 \\[0\\.1000, 0\\.5000]")),
                show.out());
        assertTrue(lines.contains("candidate vs few-shot, exact_match: 3 wins, 1 losses, 6 ties"), show.out());
        assertTrue(show.out().contains("  ✓ exact_match >= base + 0.05: exact_match 0.5 >= base 0.1 + 0.05 = 0.15"),
                show.out());
        assertTrue(show.out().contains("gap 0.2500"), show.out());

        Run json = cli("evals", "show", "ev-cli", "--json");
        assertEquals(1, json.json().path("report").path("subjects").path("champion").path("version").asInt());
        assertEquals(ExitCodes.NOT_FOUND, cli("evals", "show", "ev-nope").code());
    }

    @Test
    void modelsAreListedShownTracedPromotedAndDownloaded() throws Exception {
        String project = loggedInMember();
        TopicClient topics = new TopicClient(bootstrap);
        String keyId = Gateway.as(memberSecret).when().get("/api/v1/me").then().statusCode(200).extract().path("key_id");
        Gateway.Key member = new Gateway.Key(keyId, project, "member", memberSecret);
        String[] made = ModelsApiTest.registeredVersion(store, topics, project, member, "cli-m",
                Map.of("adapter_config.json", "{}".getBytes(), "adapter_model.safetensors", new byte[] {9, 8, 7}));
        topics.publish(new ModelPromoted(project, "cli-m", 1, "champion", null), "registry-service");
        await().atMost(Duration.ofSeconds(30)).until(() -> cli("models", "show", "cli-m").out().contains("champion v1"));

        Run list = cli("models", "list");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().lines().anyMatch(l -> l.matches("cli-m\\s+v1\\s+v1\\s+champion=v1\\s+.*")), list.out());
        Run versions = cli("models", "versions", "cli-m");
        assertTrue(versions.out().lines().anyMatch(l -> l.matches("v1\\s+promoted\\s+champion\\s+" + made[1] + ".*")),
                versions.out());
        await().atMost(Duration.ofSeconds(30)).until(() -> cli("models", "show", "cli-m:1").out().contains("finished 20"));
        Run card = cli("models", "show", "cli-m:1");
        assertTrue(card.out().contains("base model  " + BaseModels.TINY + " (sha256 "), card.out());
        assertTrue(card.out().contains("dataset     " + made[0] + " (cli-m-data) v1, content sha256 c-" + made[0]),
                card.out());
        Run lineage = cli("models", "lineage", "cli-m", "--version", "1");
        assertEquals(0, lineage.code(), lineage.err());
        assertTrue(lineage.out().contains("  <- dataset  " + made[0]), lineage.out());
        assertTrue(lineage.out().contains("  <- upload   projects/" + project + "/"), lineage.out());

        Path tar = home.resolve("out.tar");
        Run download = cli("models", "download", "cli-m:1", "-o", tar.toString());
        assertEquals(0, download.code(), download.err());
        assertTrue(Files.size(tar) > 1024, "a tar of two files");
        Run urls = cli("models", "download", "cli-m:1", "--presigned");
        assertTrue(urls.out().contains("adapter_model.safetensors  http"), urls.out());

        assertEquals("Asked to point cli-m@staging at v1.\n", cli("models", "promote", "cli-m:1", "--alias", "staging").out());
        assertEquals(ExitCodes.USAGE, cli("models", "promote", "cli-m").code(), "no version");
        assertEquals(ExitCodes.USAGE, cli("models", "promote", "cli-m:7").code(), "422: no such version");
        assertEquals(0, cli("models", "rollback", "cli-m").code());
        assertEquals(ExitCodes.NOT_FOUND, cli("models", "show", "nope").code());
    }

    @Test
    void theAdminRebuildsTheReadModel() {
        Run rebuilt = cli("admin", "rebuild-read-model", "--url", gateway.toString(), "--key", Gateway.ADMIN);
        assertEquals(0, rebuilt.code(), rebuilt.err());
        assertTrue(rebuilt.out().startsWith("Rebuilt the read model from "), rebuilt.out());
    }
}
