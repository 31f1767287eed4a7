package dev.tuneforge.dataset;

import dev.tuneforge.dataset.storage.DatasetVersions;
import dev.tuneforge.dataset.storage.PendingDeletes;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetReport;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "dataset"))
class UploadIngestionTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    ObjectStore objects;
    @Inject
    DatasetVersions versions;
    @Inject
    PendingDeletes pendingDeletes;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aValidUploadBecomesAReadyVersion() {
        String datasetId = "ds_" + UUID.randomUUID();
        DatasetUploaded upload = upload(datasetId, """
                {"prompt": "2+2?", "completion": "4"}
                {"prompt": "capital of France?", "completion": "Paris"}
                """);

        new TopicClient(bootstrap).publish(upload, "gateway");

        await().atMost(WAIT).until(() -> !topics().events(DatasetReady.class, datasetId).isEmpty());
        DatasetReady ready = topics().events(DatasetReady.class, datasetId).get(0);
        assertEquals(1, ready.version());
        assertEquals(2, ready.trainExamples() + ready.validationExamples());
        assertEquals("projects/prj_test/datasets/" + datasetId + "/v1/train.jsonl", ready.trainKey());
        assertEquals(ready.trainExamples(), lines(ready.trainKey()));
        assertEquals(ready.validationExamples(), lines(ready.validationKey()));
    }

    @Test
    void openAisDpoFormatBecomesAReadyPreferenceVersionWithCanonicalPairs() {
        String datasetId = "ds_" + UUID.randomUUID();
        String[] questions = {"Is 4 even?", "Is water wet?", "Do cats bark?", "Is Paris in France?",
            "Can fish fly?", "Is ice cold?", "Do birds have feathers?", "Is the sun a planet?", "Is seven prime?",
            "Are tomatoes blue?"};
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < questions.length; i++) {
            String yes = i % 2 == 0 ? "yes" : "no";
            String no = i % 2 == 0 ? "no" : "yes";
            jsonl.append("{\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"").append(questions[i])
                    .append("\"}]}, \"preferred_output\": [{\"role\": \"assistant\", \"content\": \"").append(yes)
                    .append("\"}], \"non_preferred_output\": [{\"role\": \"assistant\", \"content\": \"")
                    .append(no).append("\"}]}\n");
        }
        DatasetUploaded upload = upload(datasetId, jsonl.toString());
        upload = new DatasetUploaded(upload.projectId(), datasetId, "pairs", null, upload.objectKey(), upload.sha256(),
                upload.sizeBytes(), null, null, "test", null, null);

        topics().publish(upload, "gateway");

        await().atMost(WAIT).until(() -> !topics().events(DatasetReady.class, datasetId).isEmpty());
        DatasetReady ready = topics().events(DatasetReady.class, datasetId).get(0);
        assertEquals("preference", ready.format());
        assertEquals(10, ready.trainExamples() + ready.validationExamples());
        List<String> split = new java.util.ArrayList<>(readLines(ready.trainKey()));
        split.addAll(readLines(ready.validationKey()));
        assertTrue(split.contains("{\"messages\":[{\"role\":\"user\",\"content\":\"Is 4 even?\"},"
                + "{\"role\":\"assistant\",\"content\":\"yes\"}],\"rejected\":\"no\"}"), split.toString());
    }

    @Test
    void anUploadWithBrokenLinesIsRejectedNamingTheLines() {
        String datasetId = "ds_" + UUID.randomUUID();
        DatasetUploaded upload = upload(datasetId, """
                {"prompt": "ok", "completion": "fine"}
                {"prompt": "missing brace"
                ["an", "array"]
                """);

        new TopicClient(bootstrap).publish(upload, "gateway");

        await().atMost(WAIT).until(() -> !topics().events(DatasetRejected.class, datasetId).isEmpty());
        DatasetRejected rejected = topics().events(DatasetRejected.class, datasetId).get(0);
        assertEquals(2, rejected.errorCount());
        assertEquals("invalid_json: 1 (first lines [2]); not_an_object: 1 (first lines [3])", rejected.reason());
        assertEquals("invalid_json", rejected.report().errors().get(0).code());
        // nothing half-stored: no version row, no object under the dataset, the upload itself removed
        assertEquals(0, versions.count(datasetId));
        assertEquals(List.of(), objects.list("projects/prj_test/datasets/" + datasetId + "/"));
        awaitDeleted(upload.objectKey());
    }

    /**
     * An upload already on the topic (the gateway refuses these since it checks names, older events and other
     * producers may still carry them): a base model that is no name ('..' would reach the object store's client
     * as a key segment) or a new dataset's name with a line break is rejected naming the field, not retried into
     * the dead-letter topic with the dataset left validating.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badNames")
    void anUploadWithABadBaseModelOrDatasetNameIsRejectedNamingTheField(String field, String name, String baseModel,
                                                                       String reason) {
        String datasetId = "ds_" + UUID.randomUUID();
        DatasetUploaded good = upload(datasetId, "{\"prompt\":\"a\",\"completion\":\"b\"}\n");
        DatasetUploaded bad = new DatasetUploaded(good.projectId(), datasetId, name, good.format(), good.objectKey(),
                good.sha256(), good.sizeBytes(), null, baseModel, "test", null, null);

        topics().publish(bad, "gateway");

        await().atMost(WAIT).until(() -> topics().events(DatasetRejected.class, datasetId).size() == 1);
        DatasetRejected rejected = topics().events(DatasetRejected.class, datasetId).get(0);
        assertEquals(reason, rejected.reason(), field);
        assertEquals(1, rejected.errorCount());
        awaitDeleted(good.objectKey());
        assertEquals(0, versions.count(datasetId));
    }

    static Stream<Arguments> badNames() {
        return Stream.of(
                Arguments.of("base_model", "names", "../escape",
                        "base_model: must be 1-64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or"
                                + " digit, got '../escape' (9 characters)"),
                Arguments.of("base_model", "names", "..",
                        "base_model: must be 1-64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or"
                                + " digit, got '..' (2 characters)"),
                Arguments.of("name", "two\nlines", null,
                        "name: must not contain control characters (line breaks, tabs), got 'two\\u000alines'"
                                + " (9 characters)"));
    }

    /**
     * A rejected upload is deleted once the verdict commits. If S3 is away just then (restarting, a cut connection),
     * the delete fails; it is recorded with the verdict and retried until S3 confirms it, not forgotten with the
     * object left in S3 for good, named by no row or event. The bad base model rejects the upload without reading it,
     * so S3 is away from the start.
     */
    @Test
    void aRejectedUploadIsDeletedOnceS3IsBackWhenItWasAwayAsTheVerdictCommitted() {
        String datasetId = "ds_" + UUID.randomUUID();
        DatasetUploaded good = upload(datasetId, "{\"prompt\":\"a\",\"completion\":\"b\"}\n");
        DatasetUploaded bad = new DatasetUploaded(good.projectId(), datasetId, "outage", good.format(),
                good.objectKey(), good.sha256(), good.sizeBytes(), null, "..", "test", null, null);

        TuneforgeStack.stack().killS3();
        try {
            RecordMetadata sent = topics().send(TopicClient.toRecord(EventEnvelope.wrap(bad, "gateway")));
            // consumed: the verdict committed, and the delete after it was tried while S3 was away
            await().atMost(WAIT).until(() -> topics().consumed("dataset-service", sent));
            await().atMost(WAIT).until(() -> topics().events(DatasetRejected.class, datasetId).size() == 1);
            await().atMost(WAIT).until(() -> pendingDeletes.attempts(good.objectKey()).orElse(0) >= 1);
        } finally {
            TuneforgeStack.stack().startS3();
        }
        awaitDeleted(good.objectKey());
        assertEquals(0, versions.count(datasetId));
    }

    /**
     * An instance that committed a rejection and died before its sweep (no wake-up comes) leaves the delete in
     * {@code pending_deletes}: the next poll of any instance does it. The sweep is exported as metrics.
     */
    @Test
    void aDeleteLeftPendingByAnInstanceThatDiedIsDoneByTheNextPollAndShownInTheMetrics() {
        String key = "projects/prj_test/uploads/" + UUID.randomUUID() + ".jsonl";
        objects.put(key, "{}\n".getBytes(StandardCharsets.UTF_8), "application/jsonl");

        QuarkusTransaction.requiringNew().run(() -> pendingDeletes.add(key, PendingDeletes.Reason.REJECTED_UPLOAD));

        awaitDeleted(key);
        String metrics = RestAssured.when().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("\ntuneforge_datasets_pending_deletes "), "the gauge of pending deletes");
        assertTrue(metrics.contains("\ntuneforge_datasets_pending_deletes_deleted_total "), "the deletes done");
        assertTrue(metrics.contains("\ntuneforge_datasets_pending_deletes_failures_total{fault=\"transient\"} "),
                "the failed tries, by fault");
    }

    @Test
    void aRedeliveredUploadHasNoSecondEffect() {
        String datasetId = "ds_" + UUID.randomUUID();
        EventEnvelope envelope = EventEnvelope.wrap(upload(datasetId, "{\"prompt\":\"a\",\"completion\":\"b\"}\n"),
                "gateway");

        topics().send(TopicClient.toRecord(envelope));
        await().atMost(WAIT).until(() -> topics().events(DatasetReady.class, datasetId).size() == 1);
        RecordMetadata redelivery = topics().send(TopicClient.toRecord(envelope));
        await().atMost(WAIT).until(() -> topics().consumed("dataset-service", redelivery));

        assertEquals(1, topics().events(DatasetReady.class, datasetId).size());
        assertEquals(1, versions.count(datasetId));
    }

    @Test
    void readyWhenBrokerDatabaseAndObjectStoreAre() {
        RestAssured.when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
    }

    @Test
    void appendingCreatesAChildVersionCountingOnlyNewExamplesAndIdenticalContentIsTheSameVersion() {
        String datasetId = "ds_" + UUID.randomUUID();
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            first.append("{\"prompt\":\"q").append(i).append("\",\"completion\":\"a").append(i).append("\"}\n");
        }
        topics().publish(upload(datasetId, first.toString()), "gateway");
        await().atMost(WAIT).until(() -> topics().events(DatasetReady.class, datasetId).size() == 1);
        DatasetReady v1 = topics().events(DatasetReady.class, datasetId).get(0);

        // Append 10 new examples and 5 already in v1.
        StringBuilder more = new StringBuilder();
        for (int i = 35; i < 50; i++) {
            more.append("{\"prompt\":\"q").append(i).append("\",\"completion\":\"a").append(i).append("\"}\n");
        }
        topics().publish(upload(datasetId, more.toString(), 1), "gateway");
        await().atMost(WAIT).until(() -> topics().events(DatasetReady.class, datasetId).size() == 2);
        DatasetReady v2 = topics().events(DatasetReady.class, datasetId).get(1);
        assertEquals(2, v2.version());
        assertEquals(1, v2.parentVersion());
        assertEquals(10, v2.newExamples());
        assertEquals(50, v2.trainExamples() + v2.validationExamples());
        // old examples stay on their side of the split
        assertTrue(readLines(v2.validationKey()).containsAll(readLines(v1.validationKey())));
        assertTrue(readLines(v2.trainKey()).containsAll(readLines(v1.trainKey())));

        // Uploading v1's content again gives v1 again, not a new version.
        topics().publish(upload(datasetId, first.toString()), "gateway");
        await().atMost(WAIT).until(() -> topics().events(DatasetReady.class, datasetId).size() == 3);
        DatasetReady again = topics().events(DatasetReady.class, datasetId).get(2);
        assertEquals(1, again.version());
        assertEquals(v1.contentSha256(), again.contentSha256());
        assertEquals(2, versions.count(datasetId));
    }

    @Test
    void promptsOfARegisteredEvaluationSetNeverReachTrainingData() {
        String project = "prj_" + UUID.randomUUID();
        String evalSet = "ds_" + UUID.randomUUID();
        topics().publish(upload(project, evalSet, """
                {"prompt": "What is the capital of France?", "completion": "Paris"}
                """, null, DatasetUploaded.EVALUATION), "gateway");
        await().atMost(WAIT).until(() -> topics().events(DatasetReady.class, evalSet).size() == 1);

        String training = "ds_" + UUID.randomUUID();
        topics().publish(upload(project, training, """
                {"prompt": "what is the capital of  France?", "completion": "It is Paris."}
                {"prompt": "What is 2+2?", "completion": "4"}
                """, null, null), "gateway");
        await().atMost(WAIT).until(() -> topics().events(DatasetReady.class, training).size() == 1);

        DatasetReady ready = topics().events(DatasetReady.class, training).get(0);
        assertEquals(1, ready.trainExamples() + ready.validationExamples());
        assertEquals("contaminated", ready.report().warnings().get(0).code());
        assertEquals(List.of(1L), ready.report().warnings().get(0).firstLines());
    }

    /**
     * A review set, a drifted window's prompts with the served answers as drafts (trainer-service's export_review),
     * is validated and stored like any upload, with its purpose; it registers no evaluation prompts.
     */
    @Test
    void aReviewSetFromAPipelineBecomesAReadyVersionWithItsPurpose() {
        String project = "prj_" + UUID.randomUUID();
        String review = "ds_" + UUID.randomUUID();
        topics().publish(upload(project, review, """
                {"prompt": "Name 1", "completion": "{\\"n\\": 1}"}
                {"prompt": "Nom 2", "completion": "n=2"}
                """, null, "review"), "trainer-service");
        await().atMost(WAIT).until(() -> topics().events(DatasetReady.class, review).size() == 1);
        DatasetReady ready = topics().events(DatasetReady.class, review).get(0);
        assertEquals(2, ready.trainExamples() + ready.validationExamples());
        assertEquals(Optional.of("review"), versions.purpose(review));

        String training = "ds_" + UUID.randomUUID();
        topics().publish(upload(project, training, """
                {"prompt": "Name 1", "completion": "{\\"n\\": 1}"}
                """, null, null), "gateway");
        await().atMost(WAIT).until(() -> topics().events(DatasetReady.class, training).size() == 1);
        assertEquals(1, topics().events(DatasetReady.class, training).get(0).trainExamples()
                + topics().events(DatasetReady.class, training).get(0).validationExamples(), "not an evaluation set");
    }

    @Test
    void theUsersOwnValidationFileReplacesTheSplitAndMayNotLeakTrainingData() {
        String datasetId = "ds_" + UUID.randomUUID();
        String validationKey = "projects/prj_test/uploads/" + UUID.randomUUID() + "-validation.jsonl";
        objects.put(validationKey, """
                {"prompt": "held out 1", "completion": "x"}
                {"prompt": "train 1", "completion": "a"}
                {"prompt": "held out 2", "completion": "y"}
                """.getBytes(StandardCharsets.UTF_8), "application/jsonl");
        DatasetUploaded upload = upload("prj_test", datasetId, """
                {"prompt": "train 1", "completion": "a"}
                {"prompt": "train 2", "completion": "b"}
                {"prompt": "train 3", "completion": "c"}
                """, null, null);
        topics().publish(new DatasetUploaded(upload.projectId(), datasetId, "own-split", "completion",
                upload.objectKey(), upload.sha256(), upload.sizeBytes(), null, null, "test", null, validationKey),
                "gateway");

        await().atMost(WAIT).until(() -> topics().events(DatasetReady.class, datasetId).size() == 1);
        DatasetReady ready = topics().events(DatasetReady.class, datasetId).get(0);
        assertEquals(3, ready.trainExamples());
        assertEquals(2, ready.validationExamples());
        assertEquals(List.of(new DatasetReport.Finding("in_training_data",
                        "validation example is also in the training data (removed from validation)", 1, List.of(2L))),
                ready.report().validationFile().warnings());
    }

    @Test
    void aBadValidationFileRejectsTheUploadAndNothingIsKept() {
        String datasetId = "ds_" + UUID.randomUUID();
        String validationKey = "projects/prj_test/uploads/" + UUID.randomUUID() + "-validation.jsonl";
        objects.put(validationKey, "{not json}\n".getBytes(StandardCharsets.UTF_8), "application/jsonl");
        DatasetUploaded upload = upload("prj_test", datasetId, "{\"prompt\":\"a\",\"completion\":\"b\"}\n",
                null, null);
        topics().publish(new DatasetUploaded(upload.projectId(), datasetId, "own-split", "completion",
                upload.objectKey(), upload.sha256(), upload.sizeBytes(), null, null, "test", null, validationKey),
                "gateway");

        await().atMost(WAIT).until(() -> topics().events(DatasetRejected.class, datasetId).size() == 1);
        DatasetRejected rejected = topics().events(DatasetRejected.class, datasetId).get(0);
        assertEquals("validation file: invalid_json: 1 (first lines [1])", rejected.reason());
        awaitDeleted(validationKey, upload.objectKey());
        assertEquals(0, versions.count(datasetId));
    }

    @Test
    void tokenCountsAreExactlyWhatTheBaseModelsTokenizerGivesForTheRenderedTemplate() throws IOException {
        Path fixture = Path.of(System.getProperty("tuneforge.fixtures.dir", "../../shared/fixtures"))
                .resolve("tiny-llama-gqa").toAbsolutePath().normalize();
        // an upload for the base model before it is in the catalogue: counted later, once it is
        String early = "ds_" + UUID.randomUUID();
        String earlyKey = "projects/prj_test/uploads/" + UUID.randomUUID() + ".jsonl";
        String line = "{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"c\",\"completion\":\"d\"}\n"
                + "{\"prompt\":\"e\",\"completion\":\"f\"}\n";
        objects.put(earlyKey, line.getBytes(StandardCharsets.UTF_8), "application/jsonl");
        topics().publish(new DatasetUploaded("prj_test", early, "early", "completion", earlyKey, "unused",
                line.length(), null, "tiny-llama-gqa", "test", null, null), "gateway");
        await().atMost(WAIT).until(() -> topics().events(DatasetReady.class, early).size() == 1);
        assertTrue(topics().events(DatasetReady.class, early).get(0).report().warnings().stream()
                .anyMatch(w -> w.code().equals("tokenizer_unavailable")));
        // registered as the gateway registers it: the files, then the manifest, which says the model is complete
        try (var files = Files.list(fixture)) {
            for (Path file : files.filter(f -> !f.getFileName().toString().endsWith(".safetensors")).toList()) {
                objects.put(ObjectKeys.baseModel("tiny-llama-gqa") + file.getFileName(), Files.readAllBytes(file),
                        "application/octet-stream");
            }
        }
        objects.put(ObjectKeys.baseModel("tiny-llama-gqa") + "manifest.json", "{}".getBytes(StandardCharsets.UTF_8),
                "application/json");
        List<List<ChatMessage>> conversations = List.of(
                List.of(ChatMessage.user("Give me JSON for Ada, 36"), ChatMessage.assistant("{\"name\": \"Ada\", \"age\": 36}")),
                List.of(ChatMessage.system("Reply with JSON only."), ChatMessage.user("name: Bo, age: 5"),
                        ChatMessage.assistant("{\"name\": \"Bo\", \"age\": 5}")),
                List.of(ChatMessage.user("Fine-tuning " + "is the process of training further. ".repeat(60)),
                        ChatMessage.assistant("ok")));
        StringBuilder jsonl = new StringBuilder();
        for (List<ChatMessage> conversation : conversations) {
            jsonl.append(EventCodec.mapper().writeValueAsString(Map.of("messages", conversation))).append('\n');
        }
        int[] expected;
        try (HfTokenizer tokenizer = HfTokenizer.load(fixture)) {
            expected = conversations.stream().mapToInt(c -> tokenizer.encodeChat(c, false).length).sorted().toArray();
        }
        String datasetId = "ds_" + UUID.randomUUID();
        String key = "projects/prj_test/uploads/" + UUID.randomUUID() + ".jsonl";
        objects.put(key, jsonl.toString().getBytes(StandardCharsets.UTF_8), "application/jsonl");

        topics().publish(new DatasetUploaded("prj_test", datasetId, "tokens", "chat", key, "unused", jsonl.length(),
                null, "tiny-llama-gqa", "test", null, null), "gateway");

        await().atMost(WAIT).until(() -> topics().events(DatasetReady.class, datasetId).size() == 1);
        TokenStats tokens = topics().events(DatasetReady.class, datasetId).get(0).tokenStats();
        int window = 256; // the fixture's max_position_embeddings
        assertTrue(expected[2] > window, "the third example is meant to be longer than the context");
        assertEquals(new TokenStats(expected[0], expected[1], window, expected[2],
                expected[0] + expected[1] + window, 1, null), new TokenStats(tokens.min(), tokens.p50(), tokens.p95(),
                tokens.max(), tokens.total(), tokens.truncated(), null));
        assertEquals(3, tokens.histogram().stream().mapToLong(TokenStats.Bucket::examples).sum(),
                "every example is in one bucket: " + tokens.histogram());
        assertEquals(window, tokens.histogram().getLast().upTo(), "the longest is cut at the window, the last bucket");
    }

    /** Bad files of every kind: what each one is, and the check and first line it must be reported with. */
    static Stream<Arguments> badFiles() throws IOException {
        String good = "{\"prompt\":\"a\",\"completion\":\"b\"}\n";
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            out.putNextEntry(new ZipEntry("data.jsonl"));
            out.write(new byte[8 * 1024 * 1024]);
            out.closeEntry();
        }
        byte[] longLine = new byte[10 * 1024 * 1024 + 1];
        Arrays.fill(longLine, (byte) 'a');
        longLine[longLine.length - 1] = '\n';
        return Stream.of(
                Arguments.of("truncated last line", (good + "{\"prompt\":\"cut").getBytes(StandardCharsets.UTF_8),
                        "invalid_json", 2L),
                Arguments.of("not UTF-8", concat(good.getBytes(StandardCharsets.UTF_8),
                        new byte[] {'{', '"', (byte) 0xFF, '"', ':', '1', '}', '\n'}), "non_utf8", 2L),
                Arguments.of("10 MB single line", concat(good.getBytes(StandardCharsets.UTF_8), longLine),
                        "line_too_long", 2L),
                Arguments.of("deeply nested JSON", (good + "{\"prompt\":\"p\",\"completion\":\"c\",\"x\":"
                        + "[".repeat(200) + "]".repeat(200) + "}\n").getBytes(StandardCharsets.UTF_8), "too_deep", 2L),
                Arguments.of("zip bomb named .jsonl", zip.toByteArray(), "not_jsonl", 1L),
                Arguments.of("NUL byte in a string on line 8", (good.repeat(7) + "{\"prompt\":\"a\0\",\"completion\":"
                        + "\"b\"}\n" + good).getBytes(StandardCharsets.UTF_8), "nul_byte", 8L),
                Arguments.of("half a surrogate pair escaped on line 3", (good.repeat(2) + "{\"prompt\":\"a\","
                        + "\"completion\":\"\\ud800\"}\n").getBytes(StandardCharsets.UTF_8), "unpaired_surrogate", 3L),
                Arguments.of("no assistant message", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n"
                        .getBytes(StandardCharsets.UTF_8), "no_assistant_message", 1L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void aBadFileIsReportedWithItsLineAndLeavesNothingBehind(String what, byte[] content, String check, long line) {
        String datasetId = "ds_" + UUID.randomUUID();
        String key = "projects/prj_test/uploads/" + UUID.randomUUID() + ".jsonl";
        objects.put(key, content, "application/jsonl");
        topics().publish(new DatasetUploaded("prj_test", datasetId, what, null, key, "unused", content.length, null,
                null, "test", null, null), "gateway");

        await().atMost(WAIT).until(() -> topics().events(DatasetRejected.class, datasetId).size() == 1);
        DatasetReport report = topics().events(DatasetRejected.class, datasetId).get(0).report();
        DatasetReport.Finding finding = report.errors().stream().filter(f -> f.code().equals(check)).findFirst()
                .orElseThrow(() -> new AssertionError(what + ": no " + check + " in " + report.errors()));
        assertEquals(line, finding.firstLines().get(0), what);
        awaitDeleted(key); // the upload is deleted once the verdict commits
        assertEquals(List.of(), objects.list("projects/prj_test/datasets/" + datasetId + "/"));
        assertEquals(0, versions.count(datasetId));
    }

    /**
     * Waits until S3 has confirmed the deletes (a key's pending row goes only then), then sees the objects gone. Not by
     * asking S3 meanwhile: the test's S3 server (S3Proxy) answers a HEAD that races a delete of the key with 500.
     */
    private void awaitDeleted(String... keys) {
        await().atMost(WAIT).until(() -> Arrays.stream(keys).allMatch(key -> pendingDeletes.attempts(key).isEmpty()));
        for (String key : keys) {
            assertFalse(objects.exists(key), key);
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private long lines(String key) {
        return readLines(key).size();
    }

    private List<String> readLines(String key) {
        try (InputStream in = objects.get(key)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TopicClient topics() {
        return new TopicClient(bootstrap);
    }

    private DatasetUploaded upload(String datasetId, String jsonl) {
        return upload(datasetId, jsonl, null);
    }

    private DatasetUploaded upload(String datasetId, String jsonl, Integer appendTo) {
        return upload("prj_test", datasetId, jsonl, appendTo, null);
    }

    private DatasetUploaded upload(String projectId, String datasetId, String jsonl, Integer appendTo,
                                   String purpose) {
        String key = "projects/" + projectId + "/uploads/" + UUID.randomUUID() + ".jsonl";
        byte[] bytes = jsonl.getBytes(StandardCharsets.UTF_8);
        objects.put(key, bytes, "application/jsonl");
        return new DatasetUploaded(projectId, datasetId, "test", "completion", key, "unused", bytes.length, appendTo,
                null, "test", purpose, null);
    }
}
