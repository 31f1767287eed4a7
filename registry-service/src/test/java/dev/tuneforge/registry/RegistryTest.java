package dev.tuneforge.registry;

import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.ModelArchiveRequested;
import dev.tuneforge.events.ModelArchived;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ModelRolledBack;
import dev.tuneforge.events.PromotionRequested;
import dev.tuneforge.events.RollbackRequested;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.naming.Names;
import dev.tuneforge.kit.messaging.DeadLetterHeaders;
import dev.tuneforge.kit.messaging.InboxChannelSettings;
import dev.tuneforge.kit.messaging.InboxProcessor;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.registry.domain.ModelVersion;
import dev.tuneforge.registry.storage.Aliases;
import dev.tuneforge.registry.storage.AuditLog;
import dev.tuneforge.registry.storage.Lineage;
import dev.tuneforge.registry.storage.ModelVersions;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.tuneforge.registry.RegistryFixture.PROJECT;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "registry"))
class RegistryTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    DirectorySync sync;
    @Inject
    Lineage lineage;
    @Inject
    ModelVersions versions;
    @Inject
    Aliases aliases;
    @Inject
    AuditLog audit;
    @Inject
    Jdbc jdbc;
    @Inject
    InboxProcessor inbox;

    Path work;

    RegistryFixture fixture;
    String model;
    String dataset;

    @BeforeEach
    void setUp() throws Exception {
        work = Files.createTempDirectory("registry-test-");
        fixture = new RegistryFixture(new TopicClient(bootstrap), sync, lineage);
        String id = UUID.randomUUID().toString().substring(0, 8);
        model = "bot-" + id;
        dataset = "ds_" + id;
    }

    @Test
    void passedJobsBecomeVersionsAndChampionsInTurn() throws Exception {
        String content = fixture.readyDataset(dataset);
        TrainingFinished jobA = fixture.finishedJob("job_a-" + model, model, dataset, work, true);
        TrainingFinished jobB = fixture.finishedJob("job_b-" + model, model, dataset, work, true);

        fixture.publish(passed(jobA, "ev_a"), "eval-service");
        fixture.awaitEvents(model, 2);
        EventEnvelope passedB = fixture.publish(passed(jobB, "ev_b"), "eval-service");
        fixture.awaitEvents(model, 4);

        assertEquals(List.of("ModelRegistered", "ModelPromoted", "ModelRegistered", "ModelPromoted"),
                fixture.registryEvents(model));
        List<ModelRegistered> registered = fixture.events(ModelRegistered.class, model);
        ModelRegistered v1 = registered.get(0);
        ModelRegistered v2 = registered.get(1);
        assertEquals(1, v1.version());
        assertEquals(2, v2.version());
        assertEquals(jobB.jobId(), v2.jobId());
        assertEquals("candidate", v2.status());
        List<ModelPromoted> promoted = fixture.events(ModelPromoted.class, model);
        assertEquals(new ModelPromoted(PROJECT, model, 1, "champion", null, null, Map.of("champion", 1)),
                promoted.get(0));
        assertEquals(new ModelPromoted(PROJECT, model, 2, "champion", 1, null,
                Map.of("champion", 2, "previous-champion", 1)), promoted.get(1));

        // the model card travels in the event
        assertEquals("projects/" + PROJECT + "/models/" + model + "/v2/adapter/", v2.artifactKey());
        assertEquals(jobB.artifactSha256(), v2.artifactSha256());
        assertEquals(jobB.artifactKey(), v2.sourceArtifactKey());
        assertEquals("ev_b", v2.evalId());
        assertEquals("projects/" + PROJECT + "/eval/ev_b/report.json", v2.reportKey());
        assertEquals(Map.of("exact_match", 0.9), v2.metrics());
        assertEquals("tiny-llama", v2.baseModel());
        assertEquals("lora", v2.method());
        assertEquals(Map.of("epochs", 2, "lora_r", 8), v2.hyperparameters());
        assertEquals(dataset, v2.datasetId());
        assertEquals(1, v2.datasetVersion());
        assertEquals(content, v2.datasetSha256());
        assertEquals("key_alice", v2.requestedBy());
        assertEquals(Map.of("evaluation", "passed"), v2.tags());

        // the artifact was copied: same files, same digest, checked file by file against the manifest
        for (ModelRegistered v : registered) {
            Path copy = work.resolve("copy-v" + v.version());
            assertEquals(v.artifactSha256(), sync.download(v.artifactKey(), copy));
            Path original = work.resolve(v.jobId()).resolve("adapter");
            for (String file : List.of("adapter_config.json", "adapter_model.safetensors")) {
                assertArrayEquals(Files.readAllBytes(original.resolve(file)), Files.readAllBytes(copy.resolve(file)));
            }
        }

        // state: statuses and aliases
        assertEquals("promoted", versions.find(PROJECT, model, 1).orElseThrow().status());
        assertEquals("promoted", versions.find(PROJECT, model, 2).orElseThrow().status());
        assertEquals(Map.of("champion", 2, "previous-champion", 1), aliases.of(PROJECT, model));

        // a redelivered verdict, a redelivered finish and a second evaluation of a registered job change nothing
        fixture.redeliver(passedB);
        fixture.deliver(passed(jobA, "ev_a_again"), "eval-service");
        fixture.deliver(jobB, "trainer-service");
        awaitSentinel();
        assertEquals(List.of("ModelRegistered", "ModelPromoted", "ModelRegistered", "ModelPromoted",
                "ModelPromoted"), fixture.registryEvents(model));
        assertEquals(2, versions.of(PROJECT, model).size());

        // lineage, both ways
        ModelVersion card = versions.find(PROJECT, model, 2).orElseThrow();
        Lineage.Job job = lineage.job(card.jobId()).orElseThrow();
        assertEquals(dataset, job.datasetId());
        List<Lineage.DatasetLineage> data = lineage.datasetLineage(job.datasetId(), job.datasetVersion());
        assertEquals(1, data.size());
        assertEquals(content, data.get(0).version().contentSha256());
        assertEquals(RegistryFixture.uploadKey(dataset), data.get(0).uploads().get(0).objectKey());
        assertEquals("key_uploader", data.get(0).uploads().get(0).uploadedBy());
        assertEquals(List.of(1, 2), versions.trainedOn(PROJECT, dataset, 1).stream().map(ModelVersion::version).toList());

        // the audit log has every change, with who and which event
        List<String> actions = audit.of(PROJECT, model).stream()
                .map(e -> e.action() + (e.version() == null ? "" : " v" + e.version()) + " by " + e.actor()).toList();
        assertEquals(List.of(
                "registered v1 by eval-service", "alias-moved v1 by eval-service", "status-changed v1 by eval-service",
                "registered v2 by eval-service", "alias-moved v2 by eval-service", "alias-moved v1 by eval-service",
                "status-changed v2 by eval-service", "evaluation-ignored v1 by eval-service",
                "alias-moved v1 by key_test"), actions);
        assertTrue(audit.of(PROJECT, model).stream().allMatch(e -> e.eventId() != null && e.at() != null));
    }

    @Test
    void failedJobIsRejectedKeptForLineageAndNeverPromoted() throws Exception {
        fixture.readyDataset(dataset);
        TrainingFinished good = fixture.finishedJob("job_g-" + model, model, dataset, work, true);
        fixture.publish(passed(good, "ev_g"), "eval-service");
        fixture.awaitEvents(model, 2);

        // the verdict may arrive before the job's finish: the finish completes the registration
        TrainingFinished bad = fixture.finishedJob("job_x-" + model, model, dataset, work, false);
        fixture.deliver(new EvalFailed(PROJECT, "ev_x", bad.jobId(), model, Map.of("exact_match", 0.1),
                "exact_match >= 0.8", "exact_match 0.1 < 0.8", "projects/" + PROJECT + "/eval/ev_x/report.json"),
                "eval-service");
        fixture.publish(bad, "trainer-service");
        fixture.awaitEvents(model, 3);

        ModelRegistered rejected = fixture.events(ModelRegistered.class, model).get(1);
        assertEquals(2, rejected.version());
        assertEquals("rejected", rejected.status());
        assertEquals("exact_match 0.1 < 0.8", rejected.reason());
        assertEquals(Map.of("evaluation", "failed"), rejected.tags());
        assertEquals(bad.artifactSha256(), sync.download(rejected.artifactKey(), work.resolve("rejected")));

        fixture.publish(new PromotionRequested(PROJECT, model, 2, null, "key_bob"), "gateway");
        fixture.publish(new PromotionRequested(PROJECT, model, 2, "challenger", "key_bob"), "gateway");
        awaitSentinel();

        assertEquals(List.of("ModelRegistered", "ModelPromoted", "ModelRegistered", "ModelPromoted"),
                fixture.registryEvents(model));
        assertEquals(Map.of("champion", 1, "sentinel", 1), aliases.of(PROJECT, model));
        assertEquals("rejected", versions.find(PROJECT, model, 2).orElseThrow().status());
        List<AuditLog.Entry> refusals = audit.of(PROJECT, model).stream()
                .filter(e -> e.action().equals("promotion-refused")).toList();
        assertEquals(2, refusals.size());
        assertEquals("key_bob", refusals.get(0).actor());
        assertTrue(refusals.get(0).detail().get("reason").toString().contains("rejected"));
        assertEquals(List.of(1, 2), versions.trainedOn(PROJECT, dataset, 1).stream().map(ModelVersion::version).toList());
    }

    @Test
    void manualPromotionAndRollbackMoveAliasesOnceEach() throws Exception {
        fixture.readyDataset(dataset);
        List<String> jobs = List.of("a", "b", "c");
        for (int i = 0; i < jobs.size(); i++) {
            String job = jobs.get(i);
            TrainingFinished finished = fixture.finishedJob("job_" + job + "-" + model, model, dataset, work, true);
            fixture.publish(passed(finished, "ev_" + job), "eval-service");
            fixture.awaitEvents(model, 2 * (i + 1));
        }
        assertEquals(Map.of("champion", 3, "previous-champion", 2), aliases.of(PROJECT, model));
        int before = fixture.registryEvents(model).size();

        // rollback to 2; the same request again (it names the champion it rolls back from) does nothing
        EventEnvelope rollback = fixture.publish(new RollbackRequested(PROJECT, model, "key_ops", 3), "gateway");
        fixture.awaitEvents(model, before + 2);
        fixture.publish(new RollbackRequested(PROJECT, model, "key_ops", 3), "gateway");
        fixture.redeliver(rollback);
        // promoting the champion again does nothing; a challenger moves once
        fixture.publish(new PromotionRequested(PROJECT, model, 2, "champion", "key_ops"), "gateway");
        fixture.publish(new PromotionRequested(PROJECT, model, 3, "challenger", "key_ops"), "gateway");
        fixture.publish(new PromotionRequested(PROJECT, model, 3, "challenger", "key_ops"), "gateway");
        awaitSentinel();

        assertEquals(List.of("ModelRolledBack", "ModelPromoted", "ModelPromoted", "ModelPromoted"),
                fixture.registryEvents(model).subList(before, before + 4));
        assertEquals(List.of(new ModelRolledBack(PROJECT, model, 3, 2, "key_ops",
                Map.of("champion", 2, "previous-champion", 1))), fixture.events(ModelRolledBack.class, model));
        List<ModelPromoted> promoted = fixture.events(ModelPromoted.class, model);
        assertEquals(new ModelPromoted(PROJECT, model, 2, "champion", 3, "key_ops",
                Map.of("champion", 2, "previous-champion", 1)), promoted.get(3));
        assertEquals(new ModelPromoted(PROJECT, model, 3, "challenger", null, "key_ops",
                Map.of("champion", 2, "previous-champion", 1, "challenger", 3)), promoted.get(4));

        // promote 3 back by hand, then roll back twice: 3 → 2 → 1, and then there is nothing left to roll back to
        fixture.publish(new PromotionRequested(PROJECT, model, 3, null, "key_ops"), "gateway");
        fixture.publish(new RollbackRequested(PROJECT, model, "key_ops"), "gateway");
        fixture.publish(new RollbackRequested(PROJECT, model, "key_ops"), "gateway");
        fixture.publish(new RollbackRequested(PROJECT, model, "key_ops"), "gateway");
        awaitSentinel();
        assertEquals(Map.of("champion", 1, "challenger", 3, "sentinel", 1), aliases.of(PROJECT, model));
        List<ModelRolledBack> rolledBack = fixture.events(ModelRolledBack.class, model);
        assertEquals(3, rolledBack.size());
        assertEquals(new ModelRolledBack(PROJECT, model, 3, 2, "key_ops", Map.of("champion", 2,
                "previous-champion", 1, "challenger", 3, "sentinel", 1)), rolledBack.get(1));
        assertEquals(new ModelRolledBack(PROJECT, model, 2, 1, "key_ops", Map.of("champion", 1, "challenger", 3,
                "sentinel", 1)), rolledBack.get(2));
        assertEquals(1, audit.of(PROJECT, model).stream().filter(e -> e.action().equals("rollback-refused")).count());
        assertEquals(List.of(1, 2, 3, 2, 3, 2, 1), aliases.history(PROJECT, model, "champion").stream()
                .map(Aliases.Move::version).toList());

        // Aliases follow the rule the gateway checks (Names): what it lets through is set, nothing else is.
        String longest = "a".repeat(Names.MAX_NAME);
        fixture.publish(new PromotionRequested(PROJECT, model, 2, longest, "key_ops"), "gateway");
        fixture.publish(new PromotionRequested(PROJECT, model, 2, "Prod", "key_ops"), "gateway");
        fixture.publish(new PromotionRequested(PROJECT, model, 2, "previous-champion", "key_ops"), "gateway");
        awaitSentinel();
        assertEquals(2, aliases.of(PROJECT, model).get(longest));
        assertEquals(List.of("alias 'Prod' cannot be set: " + Names.nameProblem("alias", "Prod").orElseThrow(),
                        "alias 'previous-champion' cannot be set: "
                                + Names.aliasProblem("alias", "previous-champion").orElseThrow()),
                audit.of(PROJECT, model).stream().filter(e -> e.action().equals("promotion-refused"))
                        .map(e -> e.detail().get("reason").toString()).toList());
    }

    @Test
    void aVersionNoAliasPointsAtIsArchivedOnceAndNeverPromotedAgain() throws Exception {
        fixture.readyDataset(dataset);
        List<String> jobs = List.of("a", "b", "c");
        for (int i = 0; i < jobs.size(); i++) {
            String job = jobs.get(i);
            TrainingFinished finished = fixture.finishedJob("job_" + job + "-" + model, model, dataset, work, true);
            fixture.publish(passed(finished, "ev_" + job), "eval-service");
            fixture.awaitEvents(model, 2 * (i + 1));
        }
        assertEquals(Map.of("champion", 3, "previous-champion", 2), aliases.of(PROJECT, model));

        // The champion is refused; version 1 (no alias) is archived, once; then it cannot be promoted.
        fixture.publish(new ModelArchiveRequested(PROJECT, model, 3, "key_ops"), "gateway");
        fixture.publish(new ModelArchiveRequested(PROJECT, model, 1, "key_ops"), "gateway");
        fixture.publish(new ModelArchiveRequested(PROJECT, model, 1, "key_ops"), "gateway");
        fixture.publish(new PromotionRequested(PROJECT, model, 1, "champion", "key_ops"), "gateway");
        org.awaitility.Awaitility.await().atMost(RegistryFixture.WAIT).until(() -> audit.of(PROJECT, model).stream()
                .anyMatch(e -> e.action().equals("promotion-refused")));

        // The event leaves through the outbox a moment after the audit row is written.
        org.awaitility.Awaitility.await().atMost(RegistryFixture.WAIT)
                .until(() -> !fixture.events(ModelArchived.class, model).isEmpty());
        assertEquals(List.of(new ModelArchived(PROJECT, model, 1, "key_ops")), fixture.events(ModelArchived.class, model));
        assertEquals(ModelVersion.ARCHIVED, versions.find(PROJECT, model, 1).orElseThrow().status());
        assertEquals(List.of("version 3 is champion; promote another first"), audit.of(PROJECT, model).stream()
                .filter(e -> e.action().equals("archive-refused")).map(e -> e.detail().get("reason").toString()).toList());
        assertEquals(List.of("version 1 is archived and is never promoted"), audit.of(PROJECT, model).stream()
                .filter(e -> e.action().equals("promotion-refused")).map(e -> e.detail().get("reason").toString())
                .toList());
        assertEquals(Map.of("champion", 3, "previous-champion", 2), aliases.of(PROJECT, model));
    }

    @Test
    void artifactThatIsNotWhatTheJobAnnouncedIsNotRegistered() throws Exception {
        TrainingFinished real = fixture.finishedJob("job_t-" + model, model, dataset, work, false);
        TrainingFinished tampered = new TrainingFinished(PROJECT, real.jobId(), model, real.baseModel(),
                real.datasetId(), real.datasetVersion(), real.method(), real.artifactKey(), "0".repeat(64),
                real.bestStep(), real.metrics(), null);
        fixture.deliver(tampered, "trainer-service");
        fixture.deliver(passed(real, "ev_t"), "eval-service");

        assertTrue(versions.ofJob(real.jobId()).isEmpty());
        assertTrue(fixture.registryEvents(model).isEmpty());
        assertTrue(sync.digestOf("projects/" + PROJECT + "/models/" + model + "/v1/adapter/") == null);
        var dead = new TopicClient(bootstrap).readAll("tuneforge.eval.dlq").stream()
                .filter(r -> real.jobId().equals(r.key())).toList();
        assertEquals(1, dead.size());
        assertTrue(TopicClient.header(dead.get(0), DeadLetterHeaders.REASON).contains("the event announced"),
                TopicClient.header(dead.get(0), DeadLetterHeaders.REASON));
        assertEquals(List.of("registry-service", "eval-in"), List.of(TopicClient.header(dead.get(0),
                DeadLetterHeaders.SERVICE), TopicClient.header(dead.get(0), DeadLetterHeaders.CHANNEL)));
    }

    @Test
    void everyChannelMayWaitAsLongAsARegistrationHoldsTheModelsLock() {
        // A promotion on commands-in waits for the model's row lock while a registration on eval-in copies its
        // artifact (up to tuneforge.messaging.transaction-timeout, 10 min); SmallRye closed a channel whose record
        // waited longer than its unprocessed-record age (60 s unless set), so every channel must allow that wait.
        Config config = ConfigProvider.getConfig();
        assertEquals(List.of(), InboxChannelSettings.problems(config.getPropertyNames(),
                name -> config.getOptionalValue(name, String.class), inbox.longestHold()));
        assertTrue(inbox.longestHold().compareTo(Duration.ofMinutes(10)) > 0, inbox.longestHold().toString());
    }

    @Test
    void auditLogIsAppendOnly() {
        assertThrows(IllegalStateException.class, () -> jdbc.update("UPDATE audit_log SET actor = 'mallory'"));
        assertThrows(IllegalStateException.class, () -> jdbc.update("DELETE FROM audit_log"));
    }

    @Test
    void readyWhenBrokerDatabaseAndObjectStoreAre() {
        RestAssured.when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
    }

    private static EvalPassed passed(TrainingFinished job, String evalId) {
        return new EvalPassed(PROJECT, evalId, job.jobId(), job.modelName(), Map.of("exact_match", 0.9),
                "exact_match >= 0.8", "projects/" + PROJECT + "/eval/" + evalId + "/report.json");
    }

    /**
     * Points the {@code sentinel} alias at version 1 (by way of version 2 when it is there already) and waits for
     * that event: commands of the model are consumed in order and their events published in order, so every
     * command sent before it has had its effect, and its events are on the topic.
     */
    private void awaitSentinel() {
        long before = sentinelMoves();
        long expected = before + 1;
        if (Integer.valueOf(1).equals(aliases.of(PROJECT, model).get("sentinel"))) {
            fixture.publish(new PromotionRequested(PROJECT, model, 2, "sentinel", "key_test"), "gateway");
            expected++;
        }
        fixture.publish(new PromotionRequested(PROJECT, model, 1, "sentinel", "key_test"), "gateway");
        long target = expected;
        org.awaitility.Awaitility.await().atMost(RegistryFixture.WAIT).until(() -> sentinelMoves() >= target);
    }

    private long sentinelMoves() {
        return fixture.events(ModelPromoted.class, model).stream().filter(p -> p.alias().equals("sentinel")).count();
    }
}
