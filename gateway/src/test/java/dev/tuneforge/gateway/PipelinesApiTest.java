package dev.tuneforge.gateway;

import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Pipelines: configured through the API as PipelineConfigured commands, shown from the read model. */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class PipelinesApiTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aPipelineIsConfiguredPausedResumedAndDeletedWithItsFullConfigurationEachTime() {
        BaseModels.ensureTiny();
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        String dataset = Datasets.ready(topics, project, member.secret(), "tickets", 50);
        Map<String, Object> config = Map.of("dataset_id", dataset, "base_model", BaseModels.TINY,
                "model_name", "tickets-bot", "hyperparameters", Map.of("epochs", "auto", "lora_r", 4),
                "gate", Map.of("min_improvement", 0.02), "triggers", Map.of("min_new_examples", 100,
                        "cooldown_seconds", 3600), "runtime", "torch");
        String id = as(member.secret()).contentType("application/json").body(config)
                .when().post("/api/v1/pipelines").then().statusCode(201).body("status", is("active"))
                .body("method", is("lora")).body("runtime", is("torch")).extract().path("id");

        await().atMost(WAIT).until(() -> topics.events(PipelineConfigured.class, id).size() == 1);
        PipelineConfigured configured = topics.events(PipelineConfigured.class, id).get(0);
        assertEquals(project, configured.projectId());
        assertEquals("active", configured.status());
        assertEquals("auto", configured.hyperparameters().get("epochs"), "kept as given: resolved per retraining");
        assertEquals(100, ((Number) configured.triggers().get("min_new_examples")).intValue());
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/pipelines/" + id)
                .then().statusCode(200).body("status", is("active")).body("model_name", is("tickets-bot"))
                .body("triggers.cooldown_seconds", is(3600)).body("gate.min_improvement", is(0.02f))
                .body("runtime", is("torch")));

        as(member.secret()).when().post("/api/v1/pipelines/" + id + "/pause").then().statusCode(202)
                .body("status", is("paused"));
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/pipelines/" + id)
                .then().body("status", is("paused")));
        as(member.secret()).when().post("/api/v1/pipelines/" + id + "/resume").then().statusCode(202);
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/pipelines/" + id)
                .then().body("status", is("active")));
        as(member.secret()).when().get("/api/v1/pipelines").then().statusCode(200).body("data.id", contains(id));

        as(member.secret()).when().delete("/api/v1/pipelines/" + id).then().statusCode(202).body("status", is("deleted"));
        await().atMost(WAIT).until(() -> topics.events(PipelineConfigured.class, id).size() == 4);
        List<PipelineConfigured> history = topics.events(PipelineConfigured.class, id);
        assertEquals(List.of("active", "paused", "active", "deleted"), history.stream().map(PipelineConfigured::status).toList());
        history.forEach(event -> assertEquals(configured.gate(), event.gate(), "the full configuration every time"));
        history.forEach(event -> assertEquals("torch", event.runtime(), "its runtime too"));
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/pipelines")
                .then().body("data", hasSize(0)));
        as(member.secret()).when().get("/api/v1/pipelines?status=deleted").then().body("data.id", contains(id));
        as(member.secret()).when().post("/api/v1/pipelines/" + id + "/resume").then().statusCode(409);

        Gateway.Key other = Gateway.newKey(Gateway.newProject(), "admin");
        as(other.secret()).when().get("/api/v1/pipelines/" + id).then().statusCode(404);
        as(other.secret()).when().post("/api/v1/pipelines/" + id + "/pause").then().statusCode(404);
        as(other.secret()).when().delete("/api/v1/pipelines/" + id).then().statusCode(404);
    }

    @Test
    void aWrongConfigurationIsNamedFieldByField() {
        BaseModels.ensureTiny();
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        String dataset = Datasets.ready(topics, project, member.secret(), "wrong", 5);
        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", "nope", "hyperparameters", Map.of("lora_r", 0),
                        "triggers", Map.of("min_new_examples", 0, "on_full_moon", true), "runtime", "tpu"))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("errors", hasItem(containsString("unknown base model 'nope'")))
                .body("errors", hasItem("runtime: must be one of djl, torch, got 'tpu'"))
                .body("errors", hasItem(containsString("hyperparameters.lora_r")));
        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY,
                        "triggers", Map.of("min_new_examples", 0, "on_full_moon", true)))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("errors", hasItem(containsString("triggers.min_new_examples: must be an integer >= 1")))
                .body("errors", hasItem(containsString("triggers.on_full_moon: unknown trigger")));
        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY, "method", "prefix_tuning",
                        "hyperparameters", Map.of("encoder_hidden_size", 16)))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("errors", hasItem(startsWith("runtime: method prefix_tuning runs only on the torch runtime, got "
                        + "none")))
                .body("errors", hasItem("hyperparameters.encoder_hidden_size: only applies with prefix_projection "
                        + "true"));
        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY,
                        "hyperparameters", Map.of("mix", Map.of("dataset_id", "ds_nope", "fraction", 0.3))))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("errors", contains("hyperparameters.mix.dataset_id: no dataset 'ds_nope' in this project"));
        as(member.secret()).contentType("application/json").body(Map.of("base_model", BaseModels.TINY))
                .when().post("/api/v1/pipelines").then().statusCode(400);
    }

    /**
     * A gate's forgetting set is evaluated within the pipeline's project: a dataset the project does not have is a
     * 422 naming the field when the pipeline is created (not a failed evaluation later), in the same words whether
     * another project has a dataset by that id or nobody has.
     */
    @Test
    void aGateForgettingSetMustBeADatasetOfTheProjectWithoutSayingWhetherAnotherHasIt() {
        BaseModels.ensureTiny();
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        String dataset = Datasets.ready(topics, project, member.secret(), "retrain", 5);
        String general = Datasets.ready(topics, project, member.secret(), "general", 5);
        String other = Gateway.newProject();
        String theirs = Datasets.ready(topics, other, Gateway.newKey(other, "member").secret(), "their-general", 5);

        Map<String, String> answers = new java.util.LinkedHashMap<>();
        for (String id : List.of(theirs, "ds_nowhere")) {
            String answer = as(member.secret()).contentType("application/json")
                    .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY, "gate", Map.of("forgetting",
                            Map.of("dataset_id", id, "dataset_version", 1, "max_loss_increase", 0.2))))
                    .when().post("/api/v1/pipelines").then().statusCode(422)
                    .body("errors", contains("gate.forgetting.dataset_id: no dataset '" + id + "' in this project"))
                    .extract().asString();
            answers.put(id, answer.replace(id, "<id>"));
        }
        assertEquals(answers.get("ds_nowhere"), answers.get(theirs), "another project's dataset is not told apart");
        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY,
                        "gate", Map.of("forgetting", Map.of("max_loss_increase", 0.2))))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("errors", contains(containsString("gate.forgetting.dataset_id: required")));

        String id = as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY, "gate", Map.of("forgetting",
                        Map.of("dataset_id", general, "dataset_version", 1, "max_loss_increase", 0.2))))
                .when().post("/api/v1/pipelines").then().statusCode(201).extract().path("id");
        await().atMost(WAIT).until(() -> topics.events(PipelineConfigured.class, id).size() == 1);
        assertEquals(Map.of("dataset_id", general, "dataset_version", 1, "max_loss_increase", 0.2),
                topics.events(PipelineConfigured.class, id).get(0).gate().get("forgetting"));
    }

    /**
     * A DPO pipeline: method dpo on a preference dataset, with a gate's preference rules and few-shot baseline; rules
     * eval-service could not apply are a 422 naming the field now, not a failed evaluation later; dpo on other data is
     * refused as for a job.
     */
    @Test
    void aDpoPipelineOnPreferencePairsTakesPreferenceRulesAndRefusesOnesItCannotApply() {
        BaseModels.ensureTiny();
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        String pairs = Datasets.ready(topics, project, member.secret(), "pairs", 5, "preference");
        String answers = Datasets.ready(topics, project, member.secret(), "answers", 5);

        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", pairs, "base_model", BaseModels.TINY, "method", "dpo",
                        "gate", Map.of("preference", Map.of("min_accuracy", 90, "beats_base", true))))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("errors", containsInAnyOrder(
                        "gate.preference.min_accuracy: must be a number from 0 to 1, got 90",
                        "gate.preference.beats_base: unknown (known: min_accuracy, min_gain_over_base)"));
        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", answers, "base_model", BaseModels.TINY, "method", "dpo"))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("errors", contains(startsWith("method: dpo trains on preference pairs")));

        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", pairs, "base_model", BaseModels.TINY, "method", "dpo",
                        "gate", Map.of("few_shot", Map.of("k", 2.5, "min_gain", 3, "must_beat", true))))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("errors", containsInAnyOrder(
                        "gate.few_shot.k: must be an integer from 0 to 16, got 2.5",
                        "gate.few_shot.min_gain: must be a number from -1 to 1, got 3",
                        "gate.few_shot.must_beat: unknown (known: k, min_gain)"));
        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", pairs, "base_model", BaseModels.TINY, "method", "dpo",
                        "gate", Map.of("few_shot", Map.of("k", 0, "min_gain", 0.1))))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("errors", contains("gate.few_shot.min_gain: needs the few-shot baseline, which k 0 turns off"));

        Map<String, Object> preference = Map.of("min_accuracy", 0.9, "min_gain_over_base", 0.1);
        Map<String, Object> fewShot = Map.of("k", 4, "min_gain", 0.05);
        String id = as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", pairs, "base_model", BaseModels.TINY, "method", "dpo",
                        "hyperparameters", Map.of("beta", 0.3),
                        "gate", Map.of("preference", preference, "few_shot", fewShot)))
                .when().post("/api/v1/pipelines").then().statusCode(201).extract().path("id");
        await().atMost(WAIT).until(() -> topics.events(PipelineConfigured.class, id).size() == 1);
        PipelineConfigured configured = topics.events(PipelineConfigured.class, id).get(0);
        assertEquals("dpo", configured.method());
        assertEquals(preference, configured.gate().get("preference"));
        assertEquals(fewShot, configured.gate().get("few_shot"));
    }

    @Test
    void aGateSchemaMustBeInlineAndReferOnlyToItself() {
        BaseModels.ensureTiny();
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        String dataset = Datasets.ready(topics, project, member.secret(), "schemas", 5);
        Map<String, Object> outside = Map.of("type", "object", "properties", Map.of(
                "answer", Map.of("$ref", "http://127.0.0.1:9/answer.json"),
                "file", Map.of("$ref", "file:///etc/passwd")));
        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY, "gate", Map.of("json_schema", outside)))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("errors", hasItem("gate.json_schema: $ref 'http://127.0.0.1:9/answer.json' at /properties/answer"
                        + " points outside the schema: only references within it (#/...) are allowed"))
                .body("errors", hasItem(containsString("gate.json_schema: $ref 'file:///etc/passwd' at /properties/file")));
        for (Object schema : List.of(Map.of("$schema", "http://127.0.0.1:9/meta", "type", "object"),
                Map.of("$id", "https://example.com/answer.json", "$ref", "#/$defs/answer"),
                "http://127.0.0.1:9/answer.json")) {
            as(member.secret()).contentType("application/json")
                    .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY, "gate", Map.of("json_schema", schema)))
                    .when().post("/api/v1/pipelines").then().statusCode(422)
                    .body("errors", hasItem(containsString("gate.json_schema: ")));
        }

        Map<String, Object> inline = Map.of("$schema", "https://json-schema.org/draft/2020-12/schema", "type", "object",
                "properties", Map.of("answer", Map.of("$ref", "#/$defs/answer")),
                "$defs", Map.of("answer", Map.of("type", "string")));
        String id = as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY, "gate", Map.of("json_schema", inline)))
                .when().post("/api/v1/pipelines").then().statusCode(201).extract().path("id");
        await().atMost(WAIT).until(() -> topics.events(PipelineConfigured.class, id).size() == 1);
        assertEquals(inline, topics.events(PipelineConfigured.class, id).get(0).gate().get("json_schema"));
    }

    /**
     * The drift triggers: on_drift (trainer-service retrains or exports the window for review), the window and the
     * thresholds eval-service measures with. Good ones are announced as given; every bad value is named by its path.
     */
    @Test
    void aDriftTriggerIsKeptAsGivenAndEachBadValueNamedByItsPath() {
        BaseModels.ensureTiny();
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        String dataset = Datasets.ready(topics, project, member.secret(), "drifting", 5);
        Map<String, Object> triggers = Map.of(
                "on_drift", Map.of("metrics", List.of("prompt_length_psi", "output_validity_rate"),
                        "actions", List.of("retrain", "export_review"), "cooldown_seconds", 0),
                "drift_window", Map.of("observations", 200),
                "drift_thresholds", Map.of("psi", 0.3, "ks_alpha", 0.05, "domain_classifier_auc", 0.6));
        String id = as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY, "triggers", triggers))
                .when().post("/api/v1/pipelines").then().statusCode(201).extract().path("id");
        await().atMost(WAIT).until(() -> topics.events(PipelineConfigured.class, id).size() == 1);
        assertEquals(triggers, topics.events(PipelineConfigured.class, id).getFirst().triggers());

        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY, "triggers", Map.of(
                        "on_drift", Map.of("metrics", List.of("prompt_length_psi", "moon_phase", "prompt_length_psi"),
                                "actions", List.of("retrain", "email"), "cooldown_seconds", -1, "when", "now"),
                        "drift_window", Map.of("observations", 5, "minutes", 3),
                        "drift_thresholds", Map.of("psi", 0, "ks_alpha", 1.5, "domain_classifier_auc", 0.4,
                                "mmd_permutations", 10))))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("type", is("https://tuneforge.dev/problems/invalid-pipeline"))
                .body("errors", containsInAnyOrder(
                        "triggers.on_drift.metrics[1]: unknown 'moon_phase' (known: prompt_length_psi, "
                                + "prompt_length_ks, prompt_length_wasserstein, completion_length_psi, "
                                + "completion_length_ks, completion_length_wasserstein, completion_vocabulary_js, "
                                + "prompt_domain_classifier_auc, prompt_embedding_mmd, output_validity_rate)",
                        "triggers.on_drift.metrics[2]: 'prompt_length_psi' is named twice",
                        "triggers.on_drift.actions[1]: unknown 'email' (known: retrain, export_review)",
                        "triggers.on_drift.cooldown_seconds: must be an integer >= 0, got -1",
                        "triggers.on_drift.when: unknown (known: metrics, actions, cooldown_seconds)",
                        "triggers.drift_window.observations: must be an integer >= 10, got 5",
                        "triggers.drift_window.minutes: unknown (known: observations, seconds)",
                        "triggers.drift_thresholds.psi: must be a number above 0, got 0",
                        "triggers.drift_thresholds.ks_alpha: must be a number in (0, 1), got 1.5",
                        "triggers.drift_thresholds.domain_classifier_auc: must be a number in [0.5, 1), got 0.4",
                        "triggers.drift_thresholds.mmd_permutations: unknown (known: psi, ks_alpha, wasserstein, "
                                + "jensen_shannon_alpha, jensen_shannon, domain_classifier_auc, "
                                + "domain_classifier_level, mmd_alpha, validity_alpha)"));
        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", dataset, "base_model", BaseModels.TINY, "triggers", Map.of(
                        "on_drift", Map.of("metrics", List.of(), "actions", "retrain"),
                        "drift_window", Map.of("observations", 100, "seconds", 600), "drift_thresholds", 0.2)))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("errors", containsInAnyOrder(
                        "triggers.on_drift.metrics: must be a non-empty list of prompt_length_psi, prompt_length_ks, "
                                + "prompt_length_wasserstein, completion_length_psi, completion_length_ks, "
                                + "completion_length_wasserstein, completion_vocabulary_js, "
                                + "prompt_domain_classifier_auc, prompt_embedding_mmd, output_validity_rate (leave it "
                                + "out for any metric), got []",
                        "triggers.on_drift.actions: must be a non-empty list of retrain, export_review, got retrain",
                        "triggers.drift_window: must give either observations or seconds",
                        "triggers.drift_thresholds: must be an object, got 0.2"));
    }

    /**
     * A review set (a drifted window's prompts with the served answers as drafts, which a pipeline's export_review
     * writes) is no pipeline's training data: its answers are drafts until people correct them.
     */
    @Test
    void aReviewSetIsNoPipelinesTrainingData() {
        BaseModels.ensureTiny();
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        String review = "ds_review" + Long.toHexString(System.nanoTime());
        topics.publish(new DatasetUploaded(project, review, "review: bot v3 drift, window w-1", "chat",
                "projects/" + project + "/uploads/" + review + "-review.jsonl", "0", 10, null, BaseModels.TINY,
                "pipeline:pl_x", "review", null), "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/datasets/" + review)
                .then().statusCode(200).body("purpose", is("review")));
        as(member.secret()).contentType("application/json")
                .body(Map.of("dataset_id", review, "base_model", BaseModels.TINY))
                .when().post("/api/v1/pipelines").then().statusCode(422)
                .body("errors", contains("dataset_id: dataset '" + review + "' is a review set (drafts for people to "
                        + "correct); append its corrected examples to a training dataset and train on that"));
    }
}
