package dev.tuneforge.trainer;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.Topics;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/** Inputs of a training job put where the trainer finds them: a tiny base model in the catalogue, a dataset version. */
final class TrainingFixture {

    static final String PROJECT = "prj_test";
    static final String BASE_MODEL = "tiny-test";

    private TrainingFixture() {
    }

    /** Writes the tiny model once per S3 bucket (idempotent). */
    static void baseModel(DirectorySync sync, ObjectStore store) throws Exception {
        if (store.exists(ObjectKeys.baseModel(BASE_MODEL) + ObjectKeys.MANIFEST)) {
            return;
        }
        Path dir = Files.createTempDirectory("tiny-model");
        TinyLlamaWriter.write(dir, TinyLlamaWriter.Spec.small());
        sync.upload(dir, ObjectKeys.baseModel(BASE_MODEL));
    }

    /** A chat dataset of {@code examples} examples as dataset-service would publish it; returns the dataset id. */
    static DatasetReady dataset(ObjectStore store, TopicClient topics, String datasetId, int version,
                                Integer parent, int examples, long newExamples) {
        return dataset(store, topics, datasetId, version, parent, examples, newExamples, "Name");
    }

    /** The same, each user turn {@code word} and the example's number (a general dataset's lines tell apart). */
    static DatasetReady dataset(ObjectStore store, TopicClient topics, String datasetId, int version,
                                Integer parent, int examples, long newExamples, String word) {
        String prefix = "projects/" + PROJECT + "/datasets/" + datasetId + "/v" + version + "/";
        store.put(prefix + "train.jsonl", chat(examples, 0, word), "application/jsonl");
        DatasetReady ready = new DatasetReady(PROJECT, datasetId, version, parent, "chat", "c" + version,
                prefix + "train.jsonl", "sha-train", examples, prefix + "validation.jsonl", "sha-valid", 0, newExamples,
                new TokenStats(1, 1, 1, 1, 1, 0), prefix + "report.json", null);
        topics.publish(ready, "dataset-service");
        return ready;
    }

    /**
     * A chat dataset with a validation split of {@code validation} examples (periodic validation needs one), the
     * same kind of examples as the training split's.
     */
    static DatasetReady datasetWithValidation(ObjectStore store, TopicClient topics, String datasetId, int examples,
                                              int validation) {
        String prefix = "projects/" + PROJECT + "/datasets/" + datasetId + "/v1/";
        store.put(prefix + "train.jsonl", chat(examples, 0), "application/jsonl");
        store.put(prefix + "validation.jsonl", chat(validation, examples), "application/jsonl");
        DatasetReady ready = new DatasetReady(PROJECT, datasetId, 1, null, "chat", "c1", prefix + "train.jsonl",
                "sha-train", examples, prefix + "validation.jsonl", "sha-valid", validation, examples,
                new TokenStats(1, 1, 1, 1, 1, 0), prefix + "report.json", null);
        topics.publish(ready, "dataset-service");
        return ready;
    }

    private static byte[] chat(int examples, int first) {
        return chat(examples, first, "Name");
    }

    /** Each user turn {@code word} and a number: the example's number modulo 7 for "Name", else the number itself. */
    private static byte[] chat(int examples, int first, String word) {
        StringBuilder jsonl = new StringBuilder();
        for (int i = first; i < first + examples; i++) {
            jsonl.append("{\"messages\":[{\"role\":\"user\",\"content\":\"").append(word).append(" ")
                    .append(word.equals("Name") ? i % 7 : i)
                    .append("\"},{\"role\":\"assistant\",\"content\":\"{\\\"n\\\": ").append(i % 7).append("}\"}]}\n");
        }
        return jsonl.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The jobs a pipeline asked for: its {@code TrainingRequested}s on the commands topic. */
    static List<TrainingRequested> requests(TopicClient topics, String pipelineId) {
        String type = EventType.TRAINING_REQUESTED.typeName();
        return topics.readAll(Topics.COMMANDS).stream()
                .filter(r -> type.equals(TopicClient.header(r, "ce_type")))
                .map(r -> (TrainingRequested) EventCodec.read(EventType.TRAINING_REQUESTED, r.value()))
                .filter(t -> pipelineId.equals(t.pipelineId()))
                .toList();
    }

    static String newId(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }
}
